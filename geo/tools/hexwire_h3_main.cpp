// hexwire-h3: command-line access to the H3-compatible grid, shaped like H3's own `h3` tool.
// Usage: hexwire-h3 <subcommand> [-r RES | -k K] < inputs   (one input per line, one output line
// per input line; unanswerable lines print the H3 error name and make the exit status 1).
// Example: echo "37.77 -122.41" | hexwire-h3 latLngToCell -r 9
#include <cstdio>
#include <iostream>
#include <new>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "geo/hexgrid.hpp"

namespace {

using hexwire::geo::CellId;
using hexwire::geo::H3Error;
namespace geo = hexwire::geo;

std::string cell_text(CellId cell) {
  char buf[17];
  geo::cell_to_string(cell, buf);
  return buf;
}

std::string coord_text(geo::LatLng g) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12f %.12f", geo::rads_to_degs(g.lat), geo::rads_to_degs(g.lng));
  return buf;
}

/// Parses one cell; an unparsable token is reported as E_CELL_INVALID, like an invalid id.
H3Error parse_cell(const std::string& token, CellId* out) {
  if (geo::string_to_cell(token, out) != H3Error::kSuccess) {
    return H3Error::kCellInvalid;
  }
  return H3Error::kSuccess;
}

std::vector<std::string> split(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> tokens;
  for (std::string t; in >> t;) {
    tokens.push_back(t);
  }
  return tokens;
}

std::string join_cells(std::span<const CellId> cells) {
  std::string s;
  for (const CellId c : cells) {
    if (c == 0) {
      continue;
    }
    if (!s.empty()) {
      s += ' ';
    }
    s += cell_text(c);
  }
  return s;
}

/// Answers one input line; returns the error (if any) so the caller prints its name.
H3Error answer(const std::string& cmd, const std::string& line, int res, int k, std::string* out) {
  const std::vector<std::string> tok = split(line);
  if (cmd == "latLngToCell") {
    double lat = 0;
    double lng = 0;
    if (tok.size() != 2 || std::sscanf(tok[0].c_str(), "%lf", &lat) != 1 || std::sscanf(tok[1].c_str(), "%lf", &lng) != 1) {
      return H3Error::kLatLngDomain;
    }
    CellId cell = 0;
    const H3Error e = geo::lat_lng_to_cell({geo::degs_to_rads(lat), geo::degs_to_rads(lng)}, res, &cell);
    *out = cell_text(cell);
    return e;
  }
  if (cmd == "polygonToCells") {
    // "LAT LNG LAT LNG ... ; LAT LNG ... (hole) ; ..." in degrees.
    std::vector<std::vector<geo::LatLng>> loops(1);
    for (std::size_t i = 0; i < tok.size();) {
      if (tok[i] == ";") {
        loops.emplace_back();
        ++i;
        continue;
      }
      double lat = 0;
      double lng = 0;
      if (i + 1 >= tok.size() || std::sscanf(tok[i].c_str(), "%lf", &lat) != 1 || std::sscanf(tok[i + 1].c_str(), "%lf", &lng) != 1) {
        return H3Error::kLatLngDomain;
      }
      loops.back().push_back({geo::degs_to_rads(lat), geo::degs_to_rads(lng)});
      i += 2;
    }
    std::vector<std::span<const geo::LatLng>> holes(loops.begin() + 1, loops.end());
    std::vector<CellId> cells;
    const H3Error e = geo::polygon_to_cells({loops[0], holes}, res, &cells);
    *out = join_cells(cells);
    return e;
  }
  if (cmd == "greatCircleDistanceKm") {
    double v[4];
    if (tok.size() != 4) {
      return H3Error::kLatLngDomain;
    }
    for (int i = 0; i < 4; ++i) {
      if (std::sscanf(tok[static_cast<std::size_t>(i)].c_str(), "%lf", &v[i]) != 1) {
        return H3Error::kLatLngDomain;
      }
    }
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g",
                  geo::great_circle_distance_km({geo::degs_to_rads(v[0]), geo::degs_to_rads(v[1])},
                                                {geo::degs_to_rads(v[2]), geo::degs_to_rads(v[3])}));
    *out = buf;
    return H3Error::kSuccess;
  }
  if (cmd == "compactCells" || cmd == "uncompactCells") {
    std::vector<CellId> cells;
    for (const std::string& t : tok) {
      CellId c = 0;
      if (const H3Error e = parse_cell(t, &c); e != H3Error::kSuccess) {
        return e;
      }
      cells.push_back(c);
    }
    if (cmd == "compactCells") {
      std::vector<CellId> result(cells.size());
      std::size_t n = 0;
      const H3Error e = geo::compact_cells(cells, result, &n);
      *out = join_cells(std::span<const CellId>(result.data(), n));
      return e;
    }
    std::int64_t n = 0;
    if (const H3Error e = geo::uncompact_cells_size(cells, res, &n); e != H3Error::kSuccess) {
      return e;
    }
    std::vector<CellId> result(static_cast<std::size_t>(n));
    const H3Error e = geo::uncompact_cells(cells, res, result);
    *out = join_cells(result);
    return e;
  }
  if (cmd == "gridDistance" || cmd == "gridPathCells" || cmd == "areNeighborCells") {
    CellId a = 0;
    CellId b = 0;
    if (tok.size() != 2 || parse_cell(tok[0], &a) != H3Error::kSuccess || parse_cell(tok[1], &b) != H3Error::kSuccess) {
      return H3Error::kCellInvalid;
    }
    if (cmd == "areNeighborCells") {
      bool neighbors = false;
      const H3Error e = geo::are_neighbor_cells(a, b, &neighbors);
      *out = neighbors ? "1" : "0";
      return e;
    }
    std::int64_t n = 0;
    if (cmd == "gridDistance") {
      const H3Error e = geo::grid_distance(a, b, &n);
      *out = std::to_string(n);
      return e;
    }
    if (const H3Error e = geo::grid_path_cells_size(a, b, &n); e != H3Error::kSuccess) {
      return e;
    }
    std::vector<CellId> path(static_cast<std::size_t>(n));
    const H3Error e = geo::grid_path_cells(a, b, path);
    *out = join_cells(path);
    return e;
  }
  if (tok.size() != 1) {
    return H3Error::kCellInvalid;
  }
  CellId cell = 0;
  if (const H3Error e = parse_cell(tok[0], &cell); e != H3Error::kSuccess) {
    return e;
  }
  if (cmd == "isValidCell") {
    *out = geo::is_valid_cell(cell) ? "1" : "0";
    return H3Error::kSuccess;
  }
  if (cmd == "isPentagon") {
    *out = geo::is_pentagon(cell) ? "1" : "0";
    return H3Error::kSuccess;
  }
  if (!geo::is_valid_cell(cell)) {
    return H3Error::kCellInvalid;
  }
  if (cmd == "cellToLatLng") {
    geo::LatLng g{};
    const H3Error e = geo::cell_to_lat_lng(cell, &g);
    *out = coord_text(g);
    return e;
  }
  if (cmd == "cellToBoundary") {
    geo::CellBoundary b;
    const H3Error e = geo::cell_to_boundary(cell, &b);
    for (int i = 0; i < b.num_verts; ++i) {
      *out += (i ? " " : "") + coord_text(b.verts[i]);
    }
    return e;
  }
  if (cmd == "cellAreaKm2") {
    double area = 0;
    const H3Error e = geo::cell_area_km2(cell, &area);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", area);
    *out = buf;
    return e;
  }
  if (cmd == "cellToParent") {
    CellId parent = 0;
    const H3Error e = geo::cell_to_parent(cell, res, &parent);
    *out = cell_text(parent);
    return e;
  }
  if (cmd == "cellToCenterChild") {
    CellId child = 0;
    const H3Error e = geo::cell_to_center_child(cell, res, &child);
    *out = cell_text(child);
    return e;
  }
  if (cmd == "cellToChildrenSize") {
    std::int64_t n = 0;
    const H3Error e = geo::cell_to_children_size(cell, res, &n);
    *out = std::to_string(n);
    return e;
  }
  if (cmd == "cellToChildren") {
    std::int64_t n = 0;
    if (const H3Error e = geo::cell_to_children_size(cell, res, &n); e != H3Error::kSuccess) {
      return e;
    }
    std::vector<CellId> children(static_cast<std::size_t>(n));
    const H3Error e = geo::cell_to_children(cell, res, children);
    *out = join_cells(children);
    return e;
  }
  if (cmd == "gridDiskDistances") {
    std::int64_t n = 0;
    if (const H3Error e = geo::max_grid_disk_size(k, &n); e != H3Error::kSuccess) {
      return e;
    }
    std::vector<CellId> cells(static_cast<std::size_t>(n));
    std::vector<int> distances(static_cast<std::size_t>(n));
    const H3Error e = geo::grid_disk_distances(cell, k, cells, distances);
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (cells[i] != 0) {
        *out += (out->empty() ? "" : " ") + cell_text(cells[i]) + ":" + std::to_string(distances[i]);
      }
    }
    return e;
  }
  if (cmd == "gridDisk" || cmd == "gridRing") {
    std::int64_t n = 0;
    if (const H3Error e = geo::max_grid_disk_size(k, &n); e != H3Error::kSuccess) {
      return e;
    }
    std::vector<CellId> cells(static_cast<std::size_t>(n));
    std::vector<int> distances(static_cast<std::size_t>(n));
    const H3Error e = cmd == "gridDisk" ? geo::grid_disk_distances(cell, k, cells, distances) : geo::grid_ring(cell, k, cells);
    *out = join_cells(cells);
    return e;
  }
  return H3Error::kFailed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "hexwire-h3: H3 v4 compatible cell operations (same 64-bit ids as H3).\n"
      "Each subcommand reads inputs from standard input, one per line, and writes exactly one\n"
      "output line per input line. A line that cannot be answered prints the H3 error name\n"
      "(E_LATLNG_DOMAIN, E_RES_DOMAIN, E_CELL_INVALID, E_PENTAGON, E_FAILED, ...) and the exit\n"
      "status is 1 at the end. Coordinates are degrees \"LAT LNG\"; cells are lowercase hex."};
  app.footer(
      "Examples:\n"
      "  echo \"37.7759 -122.4180\" | hexwire-h3 latLngToCell -r 9      -> 8928308280fffff\n"
      "  echo 8928308280fffff | hexwire-h3 gridDisk -k 1\n"
      "  echo \"8928308280fffff 8928308280bffff\" | hexwire-h3 gridDistance\n"
      "Run `hexwire-h3 SUBCOMMAND --help` for a subcommand's options.");
  app.require_subcommand(1);
  int res = 0;
  int k = 0;
  struct Spec {
    const char* name;
    const char* help;
    char option;  // 'r', 'k' or 0
  };
  const Spec specs[] = {
      {"latLngToCell", "\"LAT LNG\" -> cell at resolution -r", 'r'},
      {"cellToLatLng", "cell -> \"LAT LNG\" of its centre (12 decimals)", 0},
      {"cellToBoundary", "cell -> \"LAT LNG LAT LNG ...\" vertices in H3's order", 0},
      {"cellToParent", "cell -> parent at resolution -r", 'r'},
      {"cellToChildren", "cell -> space-separated children at resolution -r", 'r'},
      {"cellToCenterChild", "cell -> centre child at resolution -r", 'r'},
      {"cellToChildrenSize", "cell -> number of children at resolution -r", 'r'},
      {"gridDisk", "cell -> space-separated cells within -k steps", 'k'},
      {"gridDiskDistances", "cell -> space-separated CELL:DISTANCE pairs within -k steps", 'k'},
      {"gridRing", "cell -> space-separated cells exactly -k steps away", 'k'},
      {"gridDistance", "\"CELL CELL\" -> grid distance (integer)", 0},
      {"gridPathCells", "\"CELL CELL\" -> space-separated cells of the grid line between them", 0},
      {"areNeighborCells", "\"CELL CELL\" -> 1 or 0", 0},
      {"cellAreaKm2", "cell -> exact area in km^2", 0},
      {"greatCircleDistanceKm", "\"LAT LNG LAT LNG\" -> great-circle (haversine) distance in km", 0},
      {"isValidCell", "cell -> 1 or 0", 0},
      {"isPentagon", "cell -> 1 or 0", 0},
      {"polygonToCells", "\"LAT LNG LAT LNG ... [; hole LAT LNG ...]\" -> cells whose centres are inside, at -r", 'r'},
      {"compactCells", "line of space-separated cells (one resolution) -> compacted cells", 0},
      {"uncompactCells", "line of space-separated cells -> all descendants at resolution -r", 'r'},
  };
  for (const Spec& spec : specs) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.help);
    if (spec.option == 'r') {
      sub->add_option("-r,--resolution", res, "resolution 0..15")->required();
    } else if (spec.option == 'k') {
      sub->add_option("-k", k, "grid distance k >= 0")->required();
    }
  }
  CLI11_PARSE(app, argc, argv);
  const std::string cmd = app.get_subcommands().front()->get_name();

  std::ios::sync_with_stdio(false);
  bool failed = false;
  std::string line;
  std::string out;
  while (std::getline(std::cin, line)) {
    out.clear();
    H3Error e = H3Error::kSuccess;
    try {
      e = answer(cmd, line, res, k, &out);
    } catch (const std::bad_alloc&) {
      e = H3Error::kMemoryAlloc;  // e.g. all res 15 children of a res 0 cell
    } catch (const std::length_error&) {
      e = H3Error::kMemoryAlloc;
    }
    if (e != H3Error::kSuccess) {
      failed = true;
      std::cout << geo::error_name(e) << '\n';
    } else {
      std::cout << out << '\n';
    }
  }
  std::cout.flush();
  return failed ? 1 : 0;
}
