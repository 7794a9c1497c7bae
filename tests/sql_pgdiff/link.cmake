# libpg_query (PostgreSQL 15's parser as a library) is test-only. Its static
# archive needs nothing beyond libc and pthreads (checked with nm -u).
target_link_libraries(test_${area} PRIVATE /usr/lib/x86_64-linux-gnu/libpg_query.a Threads::Threads)

# The differential judge (judge/): one library for this suite, the libFuzzer
# target fuzz_sql_differential and the offline run sql_differential_run.
# pg_tree_kinds.cc and corpus_generator.cc are compiled into test_sql_pgdiff
# by its glob too; the linker takes those copies first.
add_library(agentos_sql_judge STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/sql_pgdiff/judge/engine_judge.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/sql_pgdiff/judge/dialect_text_generator.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/sql_pgdiff/pg_tree_kinds.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/sql_pgdiff/corpus_generator.cc)
target_link_libraries(agentos_sql_judge PUBLIC agentos_core /usr/lib/x86_64-linux-gnu/libpg_query.a Threads::Threads)
target_link_libraries(test_${area} PRIVATE agentos_sql_judge)

add_executable(sql_differential_run ${CMAKE_CURRENT_SOURCE_DIR}/sql_pgdiff/judge/sql_differential_run.cc)
target_link_libraries(sql_differential_run PRIVATE agentos_sql_judge)
target_compile_definitions(sql_differential_run PRIVATE AGENTOS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
