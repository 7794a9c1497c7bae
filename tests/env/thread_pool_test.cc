// Specification of ChunkPool: every chunk of every batch runs exactly once,
// its results are visible to the caller when Run returns, and the pool
// shuts down cleanly whether its workers are spinning or asleep.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "env/thread_pool.h"

using namespace agentos;

TEST_CASE("each chunk runs once per batch, and its writes are visible when Run returns") {
  for (unsigned threads : {1u, 2u, 4u}) {
    ChunkPool pool(threads);
    CHECK(pool.num_threads() == threads);
    std::vector<int> hits(threads, 0);  // plain ints: Run's handoff must order them
    for (int batch = 0; batch < 2000; ++batch) {
      const unsigned chunks = 1 + static_cast<unsigned>(batch) % threads;
      auto body = [&](unsigned c) { hits[c] += 1; };
      pool.Run(chunks, body);
      for (unsigned c = 0; c < threads; ++c) {
        // Chunk c has run once in every batch that had more than c chunks.
        int expected = 0;
        for (int b = 0; b <= batch; ++b) expected += (1 + static_cast<unsigned>(b) % threads) > c ? 1 : 0;
        REQUIRE(hits[c] == expected);
      }
    }
  }
}

TEST_CASE("workers take part: a chunk that waits for another is not left to its own thread") {
  ChunkPool pool(2);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::thread::id> ids(2);
    std::atomic<bool> second_done{false};
    auto body = [&](unsigned c) {
      ids[c] = std::this_thread::get_id();
      if (c == 0) {
        // Chunk 1 can only finish on the other thread while this one waits.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (!second_done.load() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
      } else {
        second_done = true;
      }
    };
    pool.Run(2, body);
    CHECK(second_done.load());
    CHECK(ids[0] != ids[1]);
  }
}

TEST_CASE("a batch completes even when no worker ever gets to run (the caller claims every chunk)") {
  ChunkPool pool(4, /*spin_us=*/0);
  std::vector<int> ran(8, 0);
  auto body = [&](unsigned c) { ran[c] += 1; };
  for (int i = 0; i < 1000; ++i) pool.Run(8, body);
  for (int c = 0; c < 8; ++c) CHECK(ran[c] == 1000);
}

TEST_CASE("workers that went to sleep wake up for the next batch; destruction joins them") {
  ChunkPool pool(2, /*spin_us=*/1);
  int sum = 0;
  std::vector<int> part(2, 0);
  for (int round = 0; round < 5; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // long past the spin: workers sleep
    auto body = [&](unsigned c) { part[c] = static_cast<int>(c) + 1; };
    pool.Run(2, body);
    sum += part[0] + part[1];
  }
  CHECK(sum == 15);
}
