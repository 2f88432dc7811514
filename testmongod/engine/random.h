// The random source of testmongod's random features ($sample, $rand, temporary names): one
// generator per thread, seeded from std::random_device.
#pragma once

#include <random>

namespace tmd {

std::mt19937_64& thread_random();

}  // namespace tmd
