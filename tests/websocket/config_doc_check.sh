#!/bin/sh
# Checks that docs/configuration.md documents every flag `hexwire --help` lists, so the reference
# stays in step with app/config.cpp. Usage: config_doc_check.sh /path/to/hexwire docs/configuration.md
set -eu
binary="$1"
doc="$2"
missing=0
for flag in $("$binary" --help | grep -oE '^ +(-[a-z],)?--[a-z0-9-]+' | sed -E 's/^ +(-[a-z],)?//'); do
  [ "$flag" = "--help" ] && continue
  if ! grep -q -- "\`$flag" "$doc"; then
    echo "not documented in $doc: $flag"
    missing=1
  fi
done
[ "$missing" -eq 0 ] && echo "every flag of hexwire --help is documented"
exit "$missing"
