# DuckDB comes from npm (Debian has none): scripts/bootstrap puts libduckdb.so and duckdb.h
# into DLTC_DUCKDB_DIR. Only src/duckdb/duckdb_int.h and bench/ include duckdb.h.
if(NOT EXISTS "${DLTC_DUCKDB_DIR}/libduckdb.so" OR NOT EXISTS "${DLTC_DUCKDB_DIR}/duckdb.h")
  message(FATAL_ERROR "DuckDB not found in ${DLTC_DUCKDB_DIR}: run scripts/bootstrap first")
endif()
add_library(dltc_duckdb SHARED IMPORTED GLOBAL)
set_target_properties(dltc_duckdb PROPERTIES
  IMPORTED_LOCATION "${DLTC_DUCKDB_DIR}/libduckdb.so"
  IMPORTED_NO_SONAME ON
  INTERFACE_INCLUDE_DIRECTORIES "${DLTC_DUCKDB_DIR}")
# the binaries find libduckdb.so next to the bootstrap's copy without LD_LIBRARY_PATH
set(CMAKE_BUILD_RPATH "${DLTC_DUCKDB_DIR}")
set(CMAKE_INSTALL_RPATH "${DLTC_DUCKDB_DIR}")
