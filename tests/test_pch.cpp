// Empty on purpose: the target hexwire_test_pch exists to compile the precompiled header that every
// Catch2 test target reuses (tests/CMakeLists.txt, docs/build.md).
