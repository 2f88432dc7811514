// One std::mt19937_64 per thread, so random features need no lock and differ between threads.
#include "engine/random.h"

namespace tmd {

std::mt19937_64& thread_random() {
    thread_local std::mt19937_64 generator{std::random_device{}()};
    return generator;
}

}  // namespace tmd
