# The shield soak (shield_soak_test.cc) is hidden from the sql_task run; CI
# runs it at a reduced size as its own test, smaller under the sanitizers.
# Full size: build/release/tests/test_sql_task "[soak]"
if(AGENTOS_SANITIZE)
  set(_soak_steps 16000)
else()
  set(_soak_steps 50000)
endif()
add_test(NAME sql_task_shield_soak COMMAND test_sql_task "[soak]")
set_tests_properties(sql_task_shield_soak PROPERTIES LABELS "sql_task" ENVIRONMENT "AGENTOS_SOAK_STEPS=${_soak_steps}")
