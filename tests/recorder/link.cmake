# The CLI's audit command is tested in-process (RunAudit), so its source is
# compiled into the test binary as well.
target_sources(test_${area} PRIVATE ${PROJECT_SOURCE_DIR}/bindings/cli/cli_audit.cc)
