#include "core/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace docent::core {

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  std::sort(bounds_.begin(), bounds_.end());
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  if (v > 0) sum_micros_.fetch_add(static_cast<uint64_t>(v * 1e6), std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::cumulative() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

double Histogram::sum() const { return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6; }

namespace {

std::string escape_label(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
  return out;
}

std::string labels_text(const std::vector<std::string>& names, const std::vector<std::string>& values,
                        const std::string& extra = {}) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (!out.empty()) out.push_back(',');
    out += names[i] + "=\"" + escape_label(values[i]) + "\"";
  }
  if (!extra.empty()) {
    if (!out.empty()) out.push_back(',');
    out += extra;
  }
  return out.empty() ? out : "{" + out + "}";
}

std::string number(double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v))) return std::to_string(static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

}  // namespace

Family<Counter>& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                          std::vector<std::string> labels) {
  MutexLock lock(mu_);
  auto& e = entries_[name];
  if (!e.counters) {
    if (e.gauges || e.histograms || e.read) throw std::logic_error("metric type clash: " + name);
    e.type = MetricType::Counter;
    e.help = help;
    e.counters = std::make_unique<Family<Counter>>(std::move(labels), [] { return std::make_unique<Counter>(); });
  }
  return *e.counters;
}

Family<Gauge>& MetricsRegistry::gauge(const std::string& name, const std::string& help,
                                      std::vector<std::string> labels) {
  MutexLock lock(mu_);
  auto& e = entries_[name];
  if (!e.gauges) {
    if (e.counters || e.histograms || e.read) throw std::logic_error("metric type clash: " + name);
    e.type = MetricType::Gauge;
    e.help = help;
    e.gauges = std::make_unique<Family<Gauge>>(std::move(labels), [] { return std::make_unique<Gauge>(); });
  }
  return *e.gauges;
}

Family<Histogram>& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                              std::vector<std::string> labels, std::vector<double> bounds) {
  MutexLock lock(mu_);
  auto& e = entries_[name];
  if (!e.histograms) {
    if (e.counters || e.gauges || e.read) throw std::logic_error("metric type clash: " + name);
    e.type = MetricType::Histogram;
    e.help = help;
    e.histograms = std::make_unique<Family<Histogram>>(std::move(labels),
                                                       [bounds] { return std::make_unique<Histogram>(bounds); });
  }
  return *e.histograms;
}

void MetricsRegistry::gauge_callback(const std::string& name, const std::string& help, std::function<double()> read) {
  MutexLock lock(mu_);
  auto& e = entries_[name];
  e.type = MetricType::Gauge;
  e.help = help;
  e.read = std::move(read);
}

std::vector<double> MetricsRegistry::default_latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

std::string MetricsRegistry::render() const {
  std::string out;
  MutexLock lock(mu_);
  for (const auto& [name, e] : entries_) {
    const char* type = e.type == MetricType::Counter ? "counter" : e.type == MetricType::Gauge ? "gauge" : "histogram";
    out += "# HELP " + name + " " + e.help + "\n# TYPE " + name + " " + type + "\n";
    if (e.read) {
      out += name + " " + number(e.read()) + "\n";
    } else if (e.counters) {
      e.counters->for_each([&, &name = name, &e = e](const auto& values, const Counter& c) {
        out += name + labels_text(e.counters->label_names(), values) + " " + std::to_string(c.value()) + "\n";
      });
    } else if (e.gauges) {
      e.gauges->for_each([&, &name = name, &e = e](const auto& values, const Gauge& g) {
        out += name + labels_text(e.gauges->label_names(), values) + " " + std::to_string(g.value()) + "\n";
      });
    } else if (e.histograms) {
      const auto& names = e.histograms->label_names();
      e.histograms->for_each([&, &name = name](const auto& values, const Histogram& h) {
        auto cum = h.cumulative();
        for (size_t i = 0; i < h.bounds().size(); ++i) {
          out += name + "_bucket" + labels_text(names, values, "le=\"" + number(h.bounds()[i]) + "\"") + " " +
                 std::to_string(cum[i]) + "\n";
        }
        out += name + "_bucket" + labels_text(names, values, "le=\"+Inf\"") + " " + std::to_string(cum.back()) + "\n";
        out += name + "_sum" + labels_text(names, values) + " " + fmt::format("{}", h.sum()) + "\n";
        out += name + "_count" + labels_text(names, values) + " " + std::to_string(h.count()) + "\n";
      });
    }
  }
  return out;
}

}  // namespace docent::core
