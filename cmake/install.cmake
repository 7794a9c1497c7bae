# What `cmake --install` puts where, and what `pip install .` puts in the wheel.
#
# C/C++ consumers (default component): the C API headers, the shared library
# (versioned file + links when the target has VERSION/SOVERSION), the
# `agentos` CLI, a CMake package (find_package(agentos) -> agentos::agentos)
# and a pkg-config file (agentos.pc).
#
# Python (component "python", only under scikit-build-core): the agent_os
# package with libagentos.so inside it, and the CLI as a script, so a wheel
# needs neither an environment variable nor a system-wide library.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The build tree sees the headers in the source tree; an installed consumer
# sees them under the prefix.
set_property(TARGET agentos PROPERTY INTERFACE_INCLUDE_DIRECTORIES
  "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/bindings/c>" "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
add_library(agentos::agentos ALIAS agentos)

if(SKBUILD)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/bindings/python/agent_os DESTINATION ${SKBUILD_PLATLIB_DIR}
          COMPONENT python
          PATTERN "libagentos.so*" EXCLUDE PATTERN "__pycache__" EXCLUDE PATTERN "*.pyc" EXCLUDE)
  # One plain file under the name the loader looks for: wheels carry no symlinks.
  install(FILES $<TARGET_FILE:agentos> DESTINATION ${SKBUILD_PLATLIB_DIR}/agent_os RENAME libagentos.so
          COMPONENT python)
  install(TARGETS agentos_cli RUNTIME DESTINATION ${SKBUILD_SCRIPTS_DIR} COMPONENT python)
  # The SQL task's default dataset (agentos/Sql-v0), read by the engine at run time.
  install(FILES ${PROJECT_SOURCE_DIR}/env/sql/data/shop/schema.sql ${PROJECT_SOURCE_DIR}/env/sql/data/shop/data.sql
                ${PROJECT_SOURCE_DIR}/env/sql/data/shop/tasks.jsonl
          DESTINATION ${SKBUILD_PLATLIB_DIR}/agent_os/data/shop COMPONENT python)
endif()

set(_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/agentos)
install(TARGETS agentos EXPORT agentosTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET agentos_cli)
  install(TARGETS agentos_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
file(GLOB _public_headers ${PROJECT_SOURCE_DIR}/bindings/c/*.h)
list(FILTER _public_headers EXCLUDE REGEX "_internal\\.h$")
install(FILES ${_public_headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(EXPORT agentosTargets NAMESPACE agentos:: FILE agentosTargets.cmake DESTINATION ${_cmake_dir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/agentosConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/agentosConfig.cmake INSTALL_DESTINATION ${_cmake_dir})
# 0.x releases break compatibility on every minor version.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/agentosConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/agentosConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/agentosConfigVersion.cmake
        DESTINATION ${_cmake_dir})

# The prefix is found from the .pc file's own place, so `cmake --install
# --prefix X` works whatever prefix was configured.
set(_pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH AGENTOS_PC_TO_PREFIX /root/${_pc_dir} /root)
configure_file(${CMAKE_CURRENT_LIST_DIR}/agentos.pc.in ${CMAKE_CURRENT_BINARY_DIR}/agentos.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/agentos.pc DESTINATION ${_pc_dir})
