#include "app/cli.h"
#include "engines/image_analysis.h"
#include "engines/audio_decode.h"
#include "engines/isolate.h"
#include "engines/layout.h"

#include <string_view>

int main(int argc, char** argv) {
  // The isolated document parsers (engines/isolate.h, engines/layout.h): the server runs its own
  // binary this way.
  if (argc > 1 && std::string_view(argv[1]) == docent::engines::kExtractCommand) {
    return docent::engines::extract_worker_main(argc - 1, argv + 1);
  }
  if (argc > 1 && std::string_view(argv[1]) == docent::engines::kWordsCommand) {
    return docent::engines::words_worker_main(argc - 1, argv + 1);
  }
  if (argc > 1 && std::string_view(argv[1]) == docent::engines::kImageCommand) {
    return docent::engines::image_worker_main(argc - 1, argv + 1);
  }
  if (argc > 1 && std::string_view(argv[1]) == docent::engines::kAudioDecodeCommand) {
    return docent::engines::audio_decode_worker_main(argc - 1, argv + 1);
  }
  return docent::app::run_cli(argc, argv);
}
