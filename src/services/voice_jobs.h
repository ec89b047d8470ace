#pragma once
// The nexus seed's three voice media kinds, on MediaJobs (docs/MEDIA-AUDIO.md "Voice jobs"):
//
//   kind                 prefix   type                  route
//   media.voice          voice_   voice_transcription   POST /api/process/voice
//   media.tts            tts_     text_to_speech        POST /api/process/text-to-speech
//   media.conversation   conv_    voice_conversation    POST /api/process/voice-conversation
//
// Each runs the speech service (services/speech.h) from its job, reporting the stages as
// progress; the conversation asks its transcription in the job's session through the chat
// service (history, the caller's documents, citations, the routed model), so both turns are
// stored as text turns are, then speaks the answer in the same language. Audio results are kept
// in the blob store and shown as the seed's audio_base64 (MediaJobs::get).
//
// Params of a job: voice and conversation {"language", "filename"} with the upload as input;
// tts {"text", "language", "format"} (format: an engines::AudioFormat name, default mp3).

#include "services/chat.h"
#include "services/media.h"
#include "services/speech.h"

#include <chrono>
#include <string>
#include <string_view>

namespace docent::services {

inline constexpr std::string_view kVoiceKind = "media.voice";
inline constexpr std::string_view kTextToSpeechKind = "media.tts";
inline constexpr std::string_view kVoiceConversationKind = "media.conversation";

struct VoiceJobOptions {
  std::chrono::seconds timeout{600};  // media.voice_timeout: a job that runs longer fails
};

// Registers the three kinds on `media`. `speech` and `chat` must outlive `media`.
void register_voice_kinds(MediaJobs& media, SpeechService& speech, ChatService& chat, VoiceJobOptions options);

// The text to speak for an answer: its citation markers ("[1]", "[2, 3]") and Markdown emphasis
// and heading marks removed, white space collapsed (exposed for tests).
std::string speakable_text(std::string_view answer);

// The seed's ai_response: the answer as HTML paragraphs (one per blank-line-separated block,
// single line breaks as <br>), every character escaped.
std::string answer_html(std::string_view answer);

}  // namespace docent::services
