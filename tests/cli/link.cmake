# The CLI's commands are tested in-process: compile them into the test
# binary, everything but main().
file(GLOB _agentos_cli_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/bindings/cli/*.cc)
list(FILTER _agentos_cli_sources EXCLUDE REGEX "/main\\.cc$")
target_sources(test_cli PRIVATE ${_agentos_cli_sources})
