# The shared differential judge (tests/sql_pgdiff/link.cmake defines it) and
# the repository root, where it finds the shipped policies and shop schema.
target_link_libraries(${name} PRIVATE agentos_sql_judge)
target_compile_definitions(${name} PRIVATE AGENTOS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
