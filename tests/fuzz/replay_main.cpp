// A main() for a fuzz target without libFuzzer: calls its LLVMFuzzerTestOneInput once on every
// file of the directories (or on the files) named on the command line, in name order. The corpus
// replays (replay.cmake) link it with each fuzz target so that the committed corpora run as
// ctests in every build; a property violation aborts, as it does under libFuzzer.
//
// Usage: replay_<name> <corpus dir or file>...
// Exit 0 when every input ran; 2 when an argument names nothing or a directory holds no file (a
// mistyped path must not pass by replaying nothing).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs_of(const fs::path& argument) {
  std::error_code ec;
  if (fs::is_regular_file(argument, ec)) return {argument};
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(argument, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Runs one input from a buffer of exactly its size, as libFuzzer does, so that ASan reports a
// read past the end.
bool replay(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  auto data = std::make_unique<std::uint8_t[]>(bytes.size());
  std::copy(bytes.begin(), bytes.end(), data.get());
  // Named before the run: if the input aborts, this is the last line of the test's output.
  std::printf("%s (%zu bytes)\n", file.c_str(), bytes.size());
  std::fflush(stdout);
  LLVMFuzzerTestOneInput(data.get(), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus dir or file>...\n", argv[0]);
    return 2;
  }
  std::size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    const auto files = inputs_of(argv[i]);
    if (files.empty()) {
      std::fprintf(stderr, "%s: no input in %s\n", argv[0], argv[i]);
      return 2;
    }
    for (const auto& file : files) {
      if (!replay(file)) {
        std::fprintf(stderr, "%s: cannot read %s\n", argv[0], file.c_str());
        return 2;
      }
      ++count;
    }
  }
  std::printf("replayed %zu inputs\n", count);
  return 0;
}
