#pragma once
// Sherpa AI Server's Log section (seeds/sherpa-ai-server.txt, "3. Log"): lines robots write about
// a process version and a job, kept per account.
//   POST   /api/log/create       {RobotGUID, ProcessVersionGUID, JobGUID, Level, Message} -> {guid, id}
//   GET    /api/log/read/{guid}  the line, in the seed's read shape (another account's: 404)
//   POST   /api/log/list         the caller's lines, newest first; the body may be empty, [] or {}
//                                (everything, first page) or an object of filters: Skip, Take
//                                (1..1000, default 100), Level (this level or worse), Levels (any of
//                                these), From / To (Unix seconds, From inclusive, To exclusive),
//                                RobotGUID, ProcessVersionGUID, JobGUID -> {result, total, skip, take, data}
//   DELETE /api/log/purge        {Time: Unix seconds} deletes the caller's lines created before it
//                                -> {result, deleted}
// Levels are numbers 0-5 or names: trace, debug, info, warn, error, fatal. Errors are the face's
// {"error": "...", "code", "field"}.

#include "api/context.h"
#include "http/router.h"

namespace docent::api::sherpa {

void register_log_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::sherpa
