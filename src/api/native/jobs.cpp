#include "api/native/jobs.h"

#include "api/native/errors.h"
#include "core/thread_annotations.h"

#include <boost/json.hpp>

#include <deque>

namespace docent::api::native {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

core::Error job_not_found() { return core::Error(core::Code::NotFound, "No job with that id", "job_id"); }

// One job as the native face shows it, from either a media job or a plain queue job.
struct JobState {
  json::object body;
  bool finished = false;
  bool failed = false;
  std::string queue_id;  // the queue's job id, for subscribing
};

JobState media_state(const services::MediaJobView& v) {
  JobState s;
  s.queue_id = v.job_id;
  s.finished = store::is_terminal(v.job_status);
  s.failed = v.job_status == services::JobStatus::Failed || v.job_status == services::JobStatus::Cancelled;
  s.body = json::object{{"id", v.id},
                        {"object", "job"},
                        {"type", v.type},
                        {"status", store::job_status_name(v.job_status)},
                        {"progress", v.progress},
                        {"stage", v.stage},
                        {"created_at", v.created_at},
                        {"completed_at", v.completed_at ? json::value(*v.completed_at) : json::value(nullptr)},
                        {"result", v.result},
                        {"error", v.error.empty() ? json::value(nullptr) : json::value(v.error)}};
  return s;
}

JobState queue_state(const services::Job& j) {
  JobState s;
  s.queue_id = j.id;
  s.finished = store::is_terminal(j.status);
  s.failed = j.status == services::JobStatus::Failed || j.status == services::JobStatus::Cancelled;
  s.body = json::object{{"id", j.id},
                        {"object", "job"},
                        {"type", j.kind},
                        {"status", store::job_status_name(j.status)},
                        {"progress", j.progress},
                        {"attempts", j.attempts},
                        {"created_at", j.created_at},
                        {"completed_at", j.finished_at ? json::value(*j.finished_at) : json::value(nullptr)},
                        {"result", j.result},
                        {"error", j.error.empty() ? json::value(nullptr) : json::value(j.error)}};
  return s;
}

// The job `id` as `p` may see it: a media job by its public id, else a queue job of theirs.
core::Result<JobState> find_job(const Context& ctx, const services::Principal& p, std::string_view id) {
  if (ctx.media != nullptr) {
    auto media = ctx.media->get(p, id);
    if (media) return media_state(*media);
    if (media.error().code != core::Code::NotFound) return media.error();
  }
  auto job = ctx.jobs->get(id);
  if (!job) return job.error().code == core::Code::NotFound ? job_not_found() : job.error();
  if (!job->account_id || !p.may_access(*job->account_id)) return job_not_found();
  return queue_state(*job);
}

Response get_job(const Context& ctx, Request& req) {
  auto state = find_job(ctx, principal(req), req.param("job_id"));
  if (!state) return render_error(req, state.error());
  return Response::json(200, state->body);
}

// The queue tells this process's subscribers of every change; between them (and for another
// replica's work) the job is read again at least every second.
struct Pending {
  core::Mutex mu;
  core::CondVar cv;
  std::deque<services::JobEvent> events GUARDED_BY(mu);
};

bool wait_for_change(Pending& pending, std::chrono::milliseconds limit) {
  core::MutexLock lock(pending.mu);
  pending.cv.wait_for(lock, limit, [&]() REQUIRES(pending.mu) { return !pending.events.empty(); });
  const bool any = !pending.events.empty();
  pending.events.clear();
  return any;
}

void stream_job(const Context& ctx, const services::Principal& p, const std::string& id, JobState first,
                http::SseSink& sink) {
  auto pending = std::make_shared<Pending>();
  const uint64_t sub = ctx.jobs->subscribe(first.queue_id, [pending](const services::JobEvent& e) {
    core::MutexLock lock(pending->mu);
    pending->events.push_back(e);
    pending->cv.notify_all();
  });
  // Read again after subscribing: a change between the first read and the subscription is not lost.
  auto again = find_job(ctx, p, id);
  JobState state = again ? std::move(*again) : std::move(first);
  std::string last = json::serialize(state.body);
  bool open = sink.send(last, "status");
  if (open && state.finished) sink.send(last, state.failed ? "failed" : "done");
  while (open && !state.finished && !sink.cancelled()) {
    wait_for_change(*pending, std::chrono::seconds(1));
    auto now = find_job(ctx, p, id);
    if (!now) break;  // deleted meanwhile
    state = std::move(*now);
    std::string body = json::serialize(state.body);
    if (state.finished) {
      open = sink.send(body, state.failed ? "failed" : "done");
    } else if (body != last) {
      open = sink.send(body, "progress");
    }
    last = std::move(body);
  }
  ctx.jobs->unsubscribe(sub);
}

Response get_job_events(const Context& ctx, Request& req) {
  const services::Principal p = principal(req);
  std::string id(req.param("job_id"));
  auto state = find_job(ctx, p, id);
  if (!state) return render_error(req, state.error());
  if (state->finished) {  // already over: one event says how
    return Response::stream([body = json::serialize(state->body), failed = state->failed](http::SseSink& sink) {
      sink.send(body, "status");
      sink.send(body, failed ? "failed" : "done");
    });
  }
  return Response::stream([ctx, p, id, first = std::move(*state)](http::SseSink& sink) mutable {
    stream_job(ctx, p, id, std::move(first), sink);
  });
}

}  // namespace

void register_job_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();
  router.add(
      Method::Get, "/v1/jobs/{job_id}", [ctx](Request& req) { return get_job(ctx, req); }, {}, errors);
  router.add(
      Method::Get, "/v1/jobs/{job_id}/events", [ctx](Request& req) { return get_job_events(ctx, req); }, {}, errors);
}

}  // namespace docent::api::native
