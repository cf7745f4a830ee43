# Dispatch (fleet index, nearest search, matching, surge, trips, DispatchEngine) is part of
# hexwire_geo; included from geo/CMakeLists.txt. It needs core (Executor, timers, metrics).
target_sources(hexwire_geo PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/fleet.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nearest.cpp
  ${CMAKE_CURRENT_LIST_DIR}/assignment.cpp
  ${CMAKE_CURRENT_LIST_DIR}/surge.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trip.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dispatch.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dispatch_trips.cpp)
target_link_libraries(hexwire_geo PUBLIC hexwire_core)
