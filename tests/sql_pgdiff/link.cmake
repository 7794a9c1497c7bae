# libpg_query (PostgreSQL 15's parser as a library) is test-only. Its static
# archive needs nothing beyond libc and pthreads (checked with nm -u).
target_link_libraries(test_${area} PRIVATE /usr/lib/x86_64-linux-gnu/libpg_query.a Threads::Threads)
