#pragma once
// OpenAI's audio routes on the native face (docs/MEDIA-AUDIO.md, docs/FACES.md):
// POST /v1/audio/transcriptions and /v1/audio/translations (multipart: file, model, language,
// prompt, response_format json|text|srt|vtt|verbose_json, temperature) and POST /v1/audio/speech
// (JSON: model, input, voice, response_format mp3|opus|aac|flac|wav|pcm, speed; the audio is
// streamed in a chunked body as it is synthesised). Errors in OpenAI's ErrorResponse shape.

#include "api/context.h"
#include "http/router.h"

namespace docent::api::native {

void register_audio_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::native
