# The baseline, PostgreSQL's parser (libpg_query), is linked into the same
# binary so both are measured in one run.
target_link_libraries(${name} PRIVATE /usr/lib/x86_64-linux-gnu/libpg_query.a Threads::Threads)
