# The CLI's audit command is tested in-process (RunAudit), so its source and
# the CLI sources it uses are compiled into the test binary as well.
foreach(_src cli_audit cli_common audit_replay decision_json export_match)
  target_sources(test_${area} PRIVATE ${PROJECT_SOURCE_DIR}/bindings/cli/${_src}.cc)
endforeach()
