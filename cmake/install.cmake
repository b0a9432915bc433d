# cmake --install: the command, the library (shared and static), the public headers, a
# pkg-config file, and a copy of libduckdb where the installed library looks for it first
# (<prefix>/lib/dltc/libduckdb.so, found relative to the binary: the prefix may move).
include(GNUInstallDirs)
install(TARGETS dlt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS dltc_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS dltc_static ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/dltc DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(FILES ${DLTC_DUCKDB_DIR}/libduckdb.so DESTINATION ${CMAKE_INSTALL_LIBDIR}/dltc)
# the .pc finds the prefix from where it lies (${pcfiledir}): --prefix at install time works
file(RELATIVE_PATH DLTC_PC_UP /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(${CMAKE_SOURCE_DIR}/cmake/dltc.pc.in ${CMAKE_BINARY_DIR}/dltc.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/dltc.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
