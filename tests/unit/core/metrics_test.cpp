#include "core/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace docent::core {
namespace {

TEST(Metrics, RendersPrometheusText) {
  MetricsRegistry m;
  m.counter("jobs_total", "Jobs done.", {"kind"}).with({"ocr"}).inc(3);
  m.gauge("queue_depth", "Jobs waiting.").with({}).set(7);
  auto& h = m.histogram("parse_seconds", "Parse time.", {"type"}, {0.1, 1}).with({"pdf"});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  m.gauge_callback("pool_size", "Workers.", [] { return 4.0; });
  std::string text = m.render();
  EXPECT_NE(text.find("# TYPE jobs_total counter\njobs_total{kind=\"ocr\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("queue_depth 7\n"), std::string::npos);
  EXPECT_NE(text.find("parse_seconds_bucket{type=\"pdf\",le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("parse_seconds_bucket{type=\"pdf\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("parse_seconds_bucket{type=\"pdf\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("parse_seconds_sum{type=\"pdf\"} 5.55\n"), std::string::npos);
  EXPECT_NE(text.find("parse_seconds_count{type=\"pdf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("pool_size 4\n"), std::string::npos);
}

TEST(Metrics, LabelValuesAreEscaped) {
  MetricsRegistry m;
  m.counter("c", "h", {"path"}).with({"a\"b\\c\nd"}).inc();
  EXPECT_NE(m.render().find(R"(c{path="a\"b\\c\nd"} 1)"), std::string::npos);
}

TEST(Metrics, SameNameSameFamilyAndTypeClashThrows) {
  MetricsRegistry m;
  auto& a = m.counter("x", "h");
  auto& b = m.counter("x", "h");
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(m.gauge("x", "h"), std::logic_error);
}

TEST(Metrics, ConcurrentIncrementsAreNotLost) {
  MetricsRegistry m;
  auto& fam = m.counter("n", "h", {"t"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) fam.with({"same"}).inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fam.with({"same"}).value(), 40000u);
}

}  // namespace
}  // namespace docent::core
