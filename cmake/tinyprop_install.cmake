# Install rules of the core library: headers, the archive, the CMake package (tinyprop::core,
# tinypropConfig.cmake, tinypropConfigVersion.cmake) and tinyprop.pc for pkg-config.
include(CMakePackageConfigHelpers)
set(TINYPROP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tinyprop)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tinyprop
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(TARGETS tinyprop_core EXPORT tinypropTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT tinypropTargets NAMESPACE tinyprop:: DESTINATION ${TINYPROP_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tinypropConfig.cmake.in
  ${PROJECT_BINARY_DIR}/tinypropConfig.cmake INSTALL_DESTINATION ${TINYPROP_CMAKE_DIR})
# The same minor version is compatible (0.x: a new minor version may change the API).
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tinypropConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tinypropConfig.cmake
              ${PROJECT_BINARY_DIR}/tinypropConfigVersion.cmake
        DESTINATION ${TINYPROP_CMAKE_DIR})

configure_file(${PROJECT_SOURCE_DIR}/cmake/tinyprop.pc.in ${PROJECT_BINARY_DIR}/tinyprop.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tinyprop.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
