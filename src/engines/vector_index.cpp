#include "engines/vector_index.h"

#include "engines/embedder.h"

#include <hnswlib/hnswlib.h>
#include <immintrin.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <queue>
#include <random>

namespace docent::engines {

using core::Code;
using core::Error;
using core::Result;
using core::Status;

static_assert(sizeof(hnswlib::labeltype) == sizeof(uint64_t), "labels are 64-bit");

namespace {

namespace fs = std::filesystem;
using hnswlib::tableint;

// Vectors are stored in the graph as IEEE half floats: half the memory, and half the bytes each
// step of a search reads, which is what a walk over a large graph waits for. Unit vectors lose
// nothing that matters in the conversion (a dot product moves by about 1e-5, far below the gaps
// between neighbours' cosines). Queries stay float32.
using Half = _Float16;

// How many of a walk's best candidates are scored on the halves: kRescoredPerHit for each hit
// asked for, and at least kRescoredAtLeast (see bench/search for the recall this keeps).
constexpr size_t kRescoredPerHit = 4;
constexpr size_t kRescoredAtLeast = 64;
// Below this many slots a filtered search scans instead of walking the graph.
constexpr size_t kExactScanBelow = 4096;
// The cost of the exact scan's pass over one slot (state, label, filter call), relative to a
// distance computed in the graph walk (a random ~1.5 kB read, a dot product, heap work).
constexpr double kScanCostPerSlot = 0.15;
// Filter calls seen before the walk trusts its estimate of the filter's selectivity.
constexpr size_t kSelectivitySample = 256;
// hnswlib's file header: 6 size_t, int maxlevel, tableint entry point, 3 size_t, double, size_t.
constexpr size_t kHeaderBytes = 6 * 8 + 4 + 4 + 3 * 8 + 8 + 8;
constexpr int kMaxLevel = 64;  // far above any real HNSW (levels grow as log_M n)

bool all_finite(const float* v, int n) {
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) return false;
  }
  return true;
}

std::vector<float> normalized_copy(const float* v, int n) {
  std::vector<float> out(v, v + n);
  normalize(out.data(), n);
  return out;
}

// Ranks hits best first: higher score, then smaller label (so equal scores order stably).
bool better(const ScoredLabel& a, const ScoredLabel& b) {
  return a.second > b.second || (a.second == b.second && a.first < b.first);
}

// The k best of a stream of hits.
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) { heap_.reserve(std::min<size_t>(k, 1024)); }

  void push(uint64_t label, float score) {
    const ScoredLabel hit{label, score};
    if (heap_.size() < k_) {
      heap_.push_back(hit);
      std::push_heap(heap_.begin(), heap_.end(), better);  // the worst on top
    } else if (k_ > 0 && better(hit, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), better);
      heap_.back() = hit;
      std::push_heap(heap_.begin(), heap_.end(), better);
    }
  }

  std::vector<ScoredLabel> take() {
    std::sort(heap_.begin(), heap_.end(), better);
    return std::move(heap_);
  }

 private:
  size_t k_;
  std::vector<ScoredLabel> heap_;
};

template <typename T>
bool read_pod(std::istream& in, T& value) {
  in.read(reinterpret_cast<char*>(&value), sizeof(T));
  return static_cast<bool>(in);
}

// The fields of hnswlib's index header, in file order.
struct Header {
  size_t offset_level0 = 0;
  size_t max_elements = 0;
  size_t count = 0;
  size_t size_data_per_element = 0;
  size_t label_offset = 0;
  size_t offset_data = 0;
  int max_level = 0;
  tableint entry_point = 0;
  size_t max_m = 0;
  size_t max_m0 = 0;
  size_t m = 0;
  double mult = 0;
  size_t ef_construction = 0;
};

Error bad_file(const std::string& path, const std::string& why) {
  return Error(Code::InvalidFormat, "vector index " + path + ": " + why);
}

// Checks the header and the per-element link-list sizes against the file size and dim, so that
// hnswlib (which trusts its input) only ever reads a structurally sound file.
Status check_file(const std::string& path, int dim, Header& h) {
  std::error_code ec;
  const auto file_size = fs::file_size(path, ec);
  if (ec) return Error(Code::Internal, "vector index " + path + ": " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Code::Internal, "vector index " + path + ": cannot open");
  if (file_size < kHeaderBytes) return bad_file(path, "truncated header");

  const bool ok = read_pod(in, h.offset_level0) && read_pod(in, h.max_elements) && read_pod(in, h.count) &&
                  read_pod(in, h.size_data_per_element) && read_pod(in, h.label_offset) &&
                  read_pod(in, h.offset_data) && read_pod(in, h.max_level) && read_pod(in, h.entry_point) &&
                  read_pod(in, h.max_m) && read_pod(in, h.max_m0) && read_pod(in, h.m) && read_pod(in, h.mult) &&
                  read_pod(in, h.ef_construction);
  if (!ok) return bad_file(path, "truncated header");

  if (h.m < 2 || h.m > 10000 || h.max_m != h.m || h.max_m0 < h.m || h.max_m0 > 0xFFFF) {
    return bad_file(path, "implausible graph degree");
  }
  const size_t links0 = h.max_m0 * sizeof(tableint) + sizeof(hnswlib::linklistsizeint);
  if (h.offset_level0 != 0 || h.offset_data != links0 || h.label_offset < h.offset_data ||
      h.size_data_per_element != h.label_offset + sizeof(hnswlib::labeltype)) {
    return bad_file(path, "inconsistent record layout");
  }
  const size_t vector_bytes = h.label_offset - h.offset_data;
  if (vector_bytes != static_cast<size_t>(dim) * sizeof(Half)) {
    if (vector_bytes == static_cast<size_t>(dim) * sizeof(float)) {
      return bad_file(path, "the file holds " + std::to_string(dim) +
                                "-dimensional float32 vectors (the format before half floats) or " +
                                std::to_string(2 * dim) + "-dimensional half floats; expected " + std::to_string(dim) +
                                "-dimensional half floats");
    }
    if (vector_bytes % sizeof(Half) == 0) {
      return bad_file(path, "dimension mismatch: the file holds " + std::to_string(vector_bytes / sizeof(Half)) +
                                "-dimensional vectors, expected " + std::to_string(dim));
    }
    return bad_file(path, "inconsistent record layout");
  }
  if (!std::isfinite(h.mult) || h.mult <= 0 || h.mult > 10 || h.ef_construction == 0) {
    return bad_file(path, "implausible build parameters");
  }
  if (h.count > (file_size - kHeaderBytes) / h.size_data_per_element ||
      h.count >= std::numeric_limits<tableint>::max()) {
    return bad_file(path, "truncated element data");
  }
  if (h.count == 0) {
    if (h.entry_point != static_cast<tableint>(-1) || h.max_level != -1) return bad_file(path, "bad entry point");
  } else if (h.entry_point >= h.count || h.max_level < 0 || h.max_level > kMaxLevel) {
    return bad_file(path, "bad entry point");
  }

  // Walk the upper-level link lists: a size per element, then that many bytes.
  const size_t links_upper = h.max_m * sizeof(tableint) + sizeof(hnswlib::linklistsizeint);
  uint64_t pos = kHeaderBytes + static_cast<uint64_t>(h.count) * h.size_data_per_element;
  in.seekg(static_cast<std::streamoff>(pos));
  for (size_t i = 0; i < h.count; ++i) {
    uint32_t size = 0;
    if (pos + sizeof(size) > file_size || !read_pod(in, size)) return bad_file(path, "truncated link lists");
    pos += sizeof(size);
    if (size % links_upper != 0 || size / links_upper > static_cast<size_t>(h.max_level)) {
      return bad_file(path, "corrupt link list");
    }
    if (size > 0) {
      if (pos + size > file_size) return bad_file(path, "truncated link lists");
      in.seekg(size, std::ios::cur);
      pos += size;
    }
  }
  if (pos != file_size) return bad_file(path, "trailing bytes");
  return Status::Ok();
}

// After hnswlib has read the file: every link points at an element that exists at that level,
// no list is longer than its capacity, labels are unique, and the entry point is at the top.
Status check_graph(const std::string& path, hnswlib::HierarchicalNSW<float>& h) {
  const size_t count = h.cur_element_count;
  for (size_t i = 0; i < count; ++i) {
    const auto id = static_cast<tableint>(i);
    const int levels = h.element_levels_[i];
    if (levels < 0 || levels > h.maxlevel_) return bad_file(path, "corrupt element level");
    for (int level = 0; level <= levels; ++level) {
      auto* list = level == 0 ? h.get_linklist0(id) : h.get_linklist(id, level);
      const size_t n = h.getListCount(list);
      if (n > (level == 0 ? h.maxM0_ : h.maxM_)) return bad_file(path, "corrupt link list");
      const auto* links = reinterpret_cast<const tableint*>(list + 1);
      for (size_t j = 0; j < n; ++j) {
        if (links[j] >= count || h.element_levels_[links[j]] < level) return bad_file(path, "corrupt link");
      }
    }
  }
  if (count > 0 && h.element_levels_[h.enterpoint_node_] != h.maxlevel_) return bad_file(path, "bad entry point");
  if (h.label_lookup_.size() != count) return bad_file(path, "duplicate labels");
  return Status::Ok();
}

// The 16 partial sums of every kernel below, added pairwise in one fixed order, so that all of
// them give the same score on any CPU.
[[gnu::always_inline]] inline float sum_lanes(float (&acc)[16]) {
  for (size_t w = 8; w > 0; w /= 2) {
    for (size_t j = 0; j < w; ++j) acc[j] += acc[j + w];
  }
  return acc[0];
}

// The inner product, with 16 independent sums so the compiler vectorizes it at any width.
[[gnu::always_inline]] inline float dot_kernel(const float* a, const float* b, size_t n) {
  float acc[16] = {};
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (size_t j = 0; j < 16; ++j) acc[j] += a[i + j] * b[i + j];
  }
  for (; i < n; ++i) acc[i % 16] += a[i] * b[i];
  return sum_lanes(acc);
}

// Compiled for AVX2 and for the baseline; the loader picks the clone this CPU runs (GCC
// target_clones / ifunc), so the binary stays portable. The summation order is the same in
// both, so scores do not depend on the CPU.
[[gnu::target_clones("avx2", "default")]] float similarity(const float* a, const float* b, size_t n) {
  return dot_kernel(a, b, n);
}

// The same over stored halves. With AVX2 and F16C (one instruction converts 8 halves), written
// with intrinsics because GCC converts _Float16 one element at a time; its 16 lanes are the 16
// sums of dot_kernel, added in the same order, so both give the same score. The baseline reads
// a table of the 65,536 halves as floats.
[[gnu::target("avx2,f16c")]] inline __m256 load8(const float* p) { return _mm256_loadu_ps(p); }
[[gnu::target("avx2,f16c")]] inline __m256 load8(const Half* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
// The 8 bytes at c, as int8 (a slot's 8-bit codes, below), in 8 floats.
[[gnu::target("avx2,f16c")]] inline __m256 load8(const int8_t* c) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(c))));
}

template <typename A, typename B>
[[gnu::target("avx2,f16c")]] float dot_f16c(const A* a, const B* b, size_t n) {
  __m256 low = _mm256_setzero_ps(), high = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    low = _mm256_add_ps(low, _mm256_mul_ps(load8(a + i), load8(b + i)));
    high = _mm256_add_ps(high, _mm256_mul_ps(load8(a + i + 8), load8(b + i + 8)));
  }
  float acc[16];
  _mm256_storeu_ps(acc, low);
  _mm256_storeu_ps(acc + 8, high);
  for (; i < n; ++i) acc[i % 16] += static_cast<float>(a[i]) * static_cast<float>(b[i]);
  return sum_lanes(acc);
}

const float* half_table() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (uint32_t bits = 0; bits < 65536; ++bits) {
      const auto b = static_cast<uint16_t>(bits);
      Half h;
      std::memcpy(&h, &b, sizeof h);
      t[bits] = static_cast<float>(h);
    }
    return t;
  }();
  return table.data();
}

// A float view of a half or a float, for the baseline kernel.
struct FromTable {
  const float* table;
  float operator()(float v) const { return v; }
  float operator()(Half v) const {
    uint16_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return table[bits];
  }
};

template <typename A>
float dot_generic(const A* a, const Half* b, size_t n) {
  const FromTable f{half_table()};
  float acc[16] = {};
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (size_t j = 0; j < 16; ++j) acc[j] += f(a[i + j]) * f(b[i + j]);
  }
  for (; i < n; ++i) acc[i % 16] += f(a[i]) * f(b[i]);
  return sum_lanes(acc);
}

[[gnu::target("avx2,f16c")]] void to_halves_f16c(const float* v, Half* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(v + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  for (; i < n; ++i) out[i] = static_cast<Half>(v[i]);
}
void to_halves_generic(const float* v, Half* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<Half>(v[i]);
}

// The half-float kernels this CPU runs, picked once.
struct HalfKernels {
  float (*query_dot)(const float*, const Half*, size_t);  // a float32 query and a stored vector
  float (*stored_dot)(const Half*, const Half*, size_t);  // two stored vectors (graph building)
  void (*to_halves)(const float*, Half*, size_t);
};

const HalfKernels& half_kernels() {
  static const HalfKernels kernels = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c")
                                         ? HalfKernels{&dot_f16c<float, Half>, &dot_f16c<Half, Half>, &to_halves_f16c}
                                         : HalfKernels{&dot_generic<float>, &dot_generic<Half>, &to_halves_generic};
  return kernels;
}

float similarity_half(const float* query, const Half* stored, size_t n) {
  return half_kernels().query_dot(query, stored, n);
}

// ---- 8-bit codes: what a search walks on --------------------------------------------------
//
// A search at 1M vectors computes ~44,000 distances (ef 2048) and waits on memory for nearly
// all of them: 12 cache lines of halves each. The walk instead reads each vector as dim signed
// bytes and one scale (code = round(half / scale), scale = max |half| / 127; 6 lines at 384
// dimensions), then scores its best candidates again on the halves. The codes' error (about
// 1e-3 on a cosine) reorders near-ties inside the beam but barely what reaches its best few
// dozen, which the halves then rank.

float code_dot_generic(const float* q, const int8_t* c, size_t n) {
  float acc[16] = {};
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (size_t j = 0; j < 16; ++j) acc[j] += q[i + j] * static_cast<float>(c[i + j]);
  }
  for (; i < n; ++i) acc[i % 16] += q[i] * static_cast<float>(c[i]);
  return sum_lanes(acc);
}

float code_dot(const float* q, const int8_t* c, size_t n) {
  // dot_f16c over the codes: 16 sums in dot_kernel's order, as the baseline.
  static const auto kernel = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c") ? &dot_f16c<float, int8_t>
                                                                                              : &code_dot_generic;
  return kernel(q, c, n);
}

// Writes the codes of the n halves at v to out and returns their scale (0 for a zero vector,
// whose codes are all 0).
float encode(const Half* v, int8_t* out, size_t n) {
  const FromTable f{half_table()};  // GCC converts a _Float16 with a library call on any CPU
  float largest = 0;
  for (size_t i = 0; i < n; ++i) largest = std::max(largest, std::fabs(f(v[i])));
  if (largest == 0) {
    std::memset(out, 0, n);
    return 0;
  }
  const float scale = largest / 127.0f;
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<int8_t>(std::clamp(std::lrint(f(v[i]) / scale), -127L, 127L));
  }
  return scale;
}

// Bytes a slot's codes take: whole cache lines, so each slot's start on one.
size_t code_stride(int dim) { return (static_cast<size_t>(dim) + 63) / 64 * 64; }

// hnswlib's distance while it builds the graph: both sides are stored vectors.
float inner_product_distance(const void* a, const void* b, const void* dim) {
  return 1.0f - half_kernels().stored_dot(static_cast<const Half*>(a), static_cast<const Half*>(b),
                                          *static_cast<const size_t*>(dim));
}

// A normalized copy of v in the stored form.
std::vector<Half> stored_copy(const float* v, int n) {
  const auto unit = normalized_copy(v, n);
  std::vector<Half> out(static_cast<size_t>(n));
  half_kernels().to_halves(unit.data(), out.data(), out.size());
  return out;
}

// The graph's level-0 block (every vector and its links, ~1 GB at 1M chunks) is read at random:
// with 4 KiB pages nearly every node a search visits costs a TLB miss and a page-table walk.
// Transparent huge pages (2 MiB) cover the block with a few hundred TLB entries. The kernel
// here gives them only to ranges that ask (transparent_hugepage=madvise).
constexpr size_t kHugePage = 2 * 1024 * 1024;

// Asks for huge pages over the 2 MiB-aligned interior of [p, p + bytes); pages not yet touched
// then fault in huge. Harmless where the kernel has no huge pages.
void advise_huge_pages(void* p, size_t bytes) {
  const auto begin = (reinterpret_cast<uintptr_t>(p) + kHugePage - 1) / kHugePage * kHugePage;
  const auto end = (reinterpret_cast<uintptr_t>(p) + bytes) / kHugePage * kHugePage;
  if (end > begin) (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

// For a block already filled (a loaded index): moves it into a new huge-page block. hnswlib
// frees and reallocs the block, so it stays a malloc'd one.
void move_to_huge_pages(hnswlib::HierarchicalNSW<float>& h) {
  const size_t bytes = h.max_elements_ * h.size_data_per_element_;
  if (bytes < 8 * kHugePage) return;  // a small index fits the TLB anyway
  const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* block = std::aligned_alloc(kHugePage, rounded);
  if (block == nullptr) return;
  advise_huge_pages(block, rounded);
  std::memcpy(block, h.data_level0_memory_, h.cur_element_count * h.size_data_per_element_);
  std::free(h.data_level0_memory_);
  h.data_level0_memory_ = static_cast<char*>(block);
}

Status sync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(Code::Internal, "open " + path + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Error(Code::Internal, "fsync " + path + ": " + std::strerror(err));
  return Status::Ok();
}

}  // namespace

class VectorIndex::Space : public hnswlib::SpaceInterface<float> {
 public:
  explicit Space(size_t dim) : dim_(dim) {}
  size_t get_data_size() override { return dim_ * sizeof(Half); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return &inner_product_distance; }
  void* get_dist_func_param() override { return &dim_; }

 private:
  size_t dim_;
};

struct VectorIndex::Candidate {
  float distance;
  tableint id;
  bool operator<(const Candidate& o) const { return distance < o.distance; }
  bool operator>(const Candidate& o) const { return distance > o.distance; }
};

VectorIndex::VectorIndex(int dim, size_t max_elements, int M, int ef_construction)
    : dim_(dim > 0 ? dim : 1), space_(std::make_unique<Space>(static_cast<size_t>(dim_))) {
  code_stride_ = code_stride(dim_);
  max_elements = std::max<size_t>(max_elements, 16);
  hnsw_ = std::make_unique<Hnsw>(space_.get(), max_elements, static_cast<size_t>(std::max(M, 2)),
                                 static_cast<size_t>(std::max(ef_construction, 1)));
  advise_huge_pages(hnsw_->data_level0_memory_, hnsw_->max_elements_ * hnsw_->size_data_per_element_);
  grow_slots(max_elements);
}

VectorIndex::VectorIndex(Loaded, int dim, std::unique_ptr<Space> space, std::unique_ptr<Hnsw> hnsw)
    : dim_(dim), space_(std::move(space)), hnsw_(std::move(hnsw)) {
  code_stride_ = code_stride(dim_);
  move_to_huge_pages(*hnsw_);
  grow_slots(hnsw_->max_elements_);
  for (size_t i = 0; i < hnsw_->cur_element_count; ++i) {
    const auto id = static_cast<tableint>(i);
    write_codes(id);
    label_[i] = hnsw_->getExternalLabel(id);
    state_[i].store(hnsw_->isMarkedDeleted(id) ? kRemoved : kLive, std::memory_order_relaxed);
  }
}

VectorIndex::~VectorIndex() = default;

// Caller holds mu_ exclusively (or is constructing).
void VectorIndex::grow_slots(size_t capacity) {
  if (capacity <= slots_capacity_) return;
  auto state = std::make_unique<std::atomic<uint8_t>[]>(capacity);
  auto label = std::make_unique<uint64_t[]>(capacity);
  for (size_t i = 0; i < capacity; ++i) {
    const bool old = i < slots_capacity_;
    state[i].store(old ? state_[i].load(std::memory_order_relaxed) : kEmpty, std::memory_order_relaxed);
    label[i] = old ? label_[i] : 0;
  }
  // The codes' block: read at random like the graph's, so on huge pages too when large.
  const size_t bytes = capacity * code_stride_;
  const size_t alignment = bytes >= 8 * kHugePage ? kHugePage : 64;
  auto* block = static_cast<int8_t*>(std::aligned_alloc(alignment, (bytes + alignment - 1) / alignment * alignment));
  if (block == nullptr) throw std::bad_alloc();
  if (alignment == kHugePage) advise_huge_pages(block, bytes);
  std::unique_ptr<int8_t[], FreeBlock> codes(block);
  auto scale = std::make_unique<std::atomic<float>[]>(capacity);
  if (slots_capacity_ > 0) std::memcpy(codes.get(), codes_.get(), slots_capacity_ * code_stride_);
  for (size_t i = 0; i < capacity; ++i) {
    scale[i].store(i < slots_capacity_ ? code_scale_[i].load(std::memory_order_relaxed) : 0.0f,
                   std::memory_order_relaxed);
  }
  state_ = std::move(state);
  label_ = std::move(label);
  codes_ = std::move(codes);
  code_scale_ = std::move(scale);
  slots_capacity_ = capacity;
}

void VectorIndex::FreeBlock::operator()(void* p) const { std::free(p); }

// Caller holds mu_ and owns slot id, whose half is written.
void VectorIndex::write_codes(uint32_t id) {
  const auto* half = reinterpret_cast<const Half*>(hnsw_->getDataByInternalId(id));
  const float scale = encode(half, codes_.get() + id * code_stride_, static_cast<size_t>(dim_));
  code_scale_[id].store(scale, std::memory_order_release);
}

// Caller holds mu_ and owns slot id (the add that created or updated it).
void VectorIndex::publish(uint32_t id, uint64_t label) {
  write_codes(id);
  label_[id] = label;
  state_[id].store(kLive, std::memory_order_release);
}

Status VectorIndex::add(uint64_t label, const float* vector) {
  if (!all_finite(vector, dim_)) return Error(Code::InvalidInput, "vector has a NaN or infinite component");
  const auto v = stored_copy(vector, dim_);
  std::shared_lock writers(writers_);
  {
    std::shared_lock lock(mu_);
    bool exists, full;
    {
      std::lock_guard guard(hnsw_->cur_element_count_guard_);
      exists = hnsw_->label_lookup_.count(label) > 0;
      full = hnsw_->cur_element_count >= hnsw_->max_elements_;
    }
    if (!exists && !full) {
      try {
        publish(hnsw_->addPoint(v.data(), label, -1), label);
        return Status::Ok();
      } catch (const std::exception& e) {
        std::lock_guard guard(hnsw_->cur_element_count_guard_);
        // Filled up by a concurrent add since the check: grow below. Anything else is fatal.
        if (hnsw_->cur_element_count < hnsw_->max_elements_) {
          return Error(Code::Internal, std::string("vector index add: ") + e.what());
        }
      }
    }
  }
  return add_exclusive(label, v.data());
}

Status VectorIndex::add_exclusive(uint64_t label, const void* vector) {
  std::unique_lock lock(mu_);
  try {
    if (hnsw_->label_lookup_.count(label) == 0 && hnsw_->cur_element_count >= hnsw_->max_elements_) {
      const size_t capacity = hnsw_->max_elements_ + hnsw_->max_elements_ / 2 + 1024;
      hnsw_->resizeIndex(capacity);
      advise_huge_pages(hnsw_->data_level0_memory_, hnsw_->max_elements_ * hnsw_->size_data_per_element_);
      grow_slots(capacity);
    }
    publish(hnsw_->addPoint(vector, label, -1), label);
    return Status::Ok();
  } catch (const std::exception& e) {
    return Error(Code::Internal, std::string("vector index add: ") + e.what());
  }
}

Status VectorIndex::remove(uint64_t label) {
  std::shared_lock writers(writers_);
  std::unique_lock lock(mu_);
  auto it = hnsw_->label_lookup_.find(label);
  if (it == hnsw_->label_lookup_.end() || hnsw_->isMarkedDeleted(it->second)) {
    return Error(Code::NotFound, "label " + std::to_string(label) + " is not in the index");
  }
  hnsw_->markDeletedInternal(it->second);
  state_[it->second].store(kRemoved, std::memory_order_relaxed);
  return Status::Ok();
}

void VectorIndex::set_ef(size_t ef) { ef_.store(std::max<size_t>(ef, 1), std::memory_order_relaxed); }

size_t VectorIndex::size() const {
  std::shared_lock lock(mu_);
  std::lock_guard guard(hnsw_->cur_element_count_guard_);
  return hnsw_->cur_element_count - hnsw_->num_deleted_;
}

size_t VectorIndex::capacity() const {
  std::shared_lock lock(mu_);
  return hnsw_->max_elements_;
}

std::vector<uint64_t> VectorIndex::labels() const {
  std::shared_lock lock(mu_);
  size_t count;
  {
    std::lock_guard guard(hnsw_->cur_element_count_guard_);
    count = hnsw_->cur_element_count;
  }
  std::vector<uint64_t> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (state_[i].load(std::memory_order_acquire) == kLive) out.push_back(label_[i]);
  }
  return out;
}

std::vector<ScoredLabel> VectorIndex::search(const float* query, size_t k, const LabelFilter& filter) const {
  if (k == 0) return {};
  const auto q = normalized_copy(query, dim_);
  std::shared_lock lock(mu_);
  Hnsw& h = *hnsw_;
  size_t count;
  {
    std::lock_guard guard(h.cur_element_count_guard_);
    count = h.cur_element_count;
  }
  if (count == 0) return {};
  if (filter && count < kExactScanBelow) return exact_scan(q.data(), k, filter);

  // Entry point and top level, consistent with each other: an add that raises the top level
  // holds h.global until it has set both.
  tableint current;
  int top_level;
  {
    std::lock_guard guard(h.global);
    current = h.enterpoint_node_;
    top_level = h.maxlevel_;
  }
  if (top_level < 0) return {};
  const auto n_dim = static_cast<size_t>(dim_);
  auto distance = [&](tableint id) {
    return 1.0f - similarity_half(q.data(), reinterpret_cast<const Half*>(h.getDataByInternalId(id)), n_dim);
  };
  // The walk's distance, on the codes (on the half for a slot whose codes are not written yet).
  const int8_t* codes = codes_.get();
  auto walk_distance = [&](tableint id) {
    const float scale = code_scale_[id].load(std::memory_order_acquire);
    if (scale == 0) return distance(id);
    return 1.0f - scale * code_dot(q.data(), codes + id * code_stride_, n_dim);
  };

  // Greedy descent through the upper levels.
  float current_distance = walk_distance(current);
  for (int level = top_level; level > 0; --level) {
    for (bool changed = true; changed;) {
      changed = false;
      std::lock_guard node_lock(h.link_list_locks_[current]);
      const auto* list = h.get_linklist(current, level);
      const size_t n = h.getListCount(const_cast<hnswlib::linklistsizeint*>(list));
      const auto* links = reinterpret_cast<const tableint*>(list + 1);
      for (size_t i = 0; i < n; ++i) {
        const float d = walk_distance(links[i]);
        if (d < current_distance) {
          current_distance = d;
          current = links[i];
          changed = true;
        }
      }
    }
  }

  // Beam search on level 0 (hnswlib's searchBaseLayerST, with the filter of its later versions):
  // rejected and removed nodes are walked through but not collected, and while fewer than ef
  // accepted nodes are held the beam keeps widening.
  const bool deletions = h.num_deleted_ > 0;  // stable: removals hold mu_ exclusively
  const bool checked = deletions || static_cast<bool>(filter);
  const size_t ef = std::max(ef_.load(std::memory_order_relaxed), k);
  size_t tested = 0, passed = 0;  // accepted() calls and how many said yes: the filter's selectivity
  auto accepted = [&](tableint id) {
    ++tested;
    // A slot still being added (kEmpty) is walked through but not returned.
    if (state_[id].load(std::memory_order_acquire) != kLive) return false;
    if (filter && !filter(label_[id])) return false;
    ++passed;
    return true;
  };
  // Whether to give up the walk for the exact scan: when the walk, at the selectivity seen so
  // far, would compute more distances than the scan costs (a cheap pass over every slot plus
  // the distances of the accepted ones), or has already covered a quarter of the graph.
  auto walk_is_too_costly = [&](size_t computed, size_t held) {
    if (!filter) return false;
    if (computed * 4 > count) return true;
    if (held >= ef || tested < kSelectivitySample) return false;
    const double selectivity = (static_cast<double>(passed) + 1) / (static_cast<double>(tested) + 1);
    const double walk = static_cast<double>(ef - held) / selectivity;
    const double scan = static_cast<double>(count) * (kScanCostPerSlot + selectivity);
    return walk > scan;
  };

  std::priority_queue<Candidate> top;  // the best ef accepted so far, worst on top
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> frontier;  // nearest first
  std::vector<tableint> batch(h.maxM0_);
  hnswlib::VisitedList* visited = h.visited_list_pool_->getFreeVisitedList();
  hnswlib::vl_type* mark = visited->mass;
  const hnswlib::vl_type tag = visited->curV;

  float bound = std::numeric_limits<float>::max();
  if (!checked || accepted(current)) {
    top.push({current_distance, current});
    bound = current_distance;
  }
  frontier.push({current_distance, current});
  mark[current] = tag;
  size_t computed = 1;
  bool give_up = false;
  while (!frontier.empty() && !give_up) {
    const Candidate next = frontier.top();
    if (next.distance > bound && (top.size() >= ef || !checked)) break;
    frontier.pop();
    // The likely next node's links (the nearest left unexpanded), while this one's are read.
    if (!frontier.empty()) __builtin_prefetch(h.get_linklist0(frontier.top().id));
    const auto* list = h.get_linklist0(next.id);
    const size_t n = std::min<size_t>(h.getListCount(const_cast<hnswlib::linklistsizeint*>(list)), batch.size());
    const auto* links = reinterpret_cast<const tableint*>(list + 1);
    // Three passes so the memory loads overlap: the visited marks, then every line of the
    // unvisited neighbours' codes (all at once: the walk waits on memory, and the more loads
    // in flight the less; 1M vectors: 6.4 -> 4.8 ms against two lines each and the rest one
    // neighbour ahead), then their distances.
    for (size_t i = 0; i < n; ++i) __builtin_prefetch(mark + links[i]);
    size_t fresh = 0;
    for (size_t i = 0; i < n; ++i) {
      const tableint id = links[i];
      if (mark[id] == tag) continue;
      mark[id] = tag;
      batch[fresh++] = id;
      const int8_t* code = codes + id * code_stride_;
      for (size_t off = 0; off < n_dim; off += 64) __builtin_prefetch(code + off);
      __builtin_prefetch(&code_scale_[id]);
    }
    for (size_t i = 0; i < fresh; ++i) {
      const tableint id = batch[i];
      const float d = walk_distance(id);
      if (top.size() < ef || d < bound) {
        frontier.push({d, id});
        if (!checked || accepted(id)) {
          top.push({d, id});
          if (top.size() > ef) top.pop();
        }
        if (!top.empty()) bound = top.top().distance;
      }
    }
    computed += fresh;
    give_up = walk_is_too_costly(computed, top.size());
  }
  h.visited_list_pool_->releaseVisitedList(visited);

  // A filter too restrictive for the walk, or too few accepted nodes found before the graph
  // ran out: the exact scan answers (and is exact).
  if (give_up || (checked && top.size() < k && computed < count)) return exact_scan(q.data(), k, filter);

  // The walk's best candidates, scored again on the halves: enough of them that the codes'
  // error does not push one of the k best out (kRescoredPerHit).
  while (top.size() > std::max(k * kRescoredPerHit, kRescoredAtLeast)) top.pop();
  std::vector<ScoredLabel> hits(top.size());
  for (size_t i = hits.size(); i-- > 0; top.pop()) {
    // Half-float storage can put a vector's cosine with itself a hair above 1.
    hits[i] = {h.getExternalLabel(top.top().id), std::min(1.0f, 1.0f - distance(top.top().id))};
  }
  std::sort(hits.begin(), hits.end(), better);
  if (hits.size() > k) hits.resize(k);
  return hits;
}

std::vector<ScoredLabel> VectorIndex::search_among(const float* query, size_t k,
                                                   const std::vector<uint64_t>& labels) const {
  if (k == 0 || labels.empty()) return {};
  const auto q = normalized_copy(query, dim_);
  std::shared_lock lock(mu_);
  Hnsw& h = *hnsw_;
  std::vector<tableint> ids;
  ids.reserve(labels.size());
  {
    // hnswlib's addPoint fills label_lookup_ under this lock.
    std::lock_guard guard(h.cur_element_count_guard_);
    for (uint64_t label : labels) {
      if (auto it = h.label_lookup_.find(label); it != h.label_lookup_.end()) ids.push_back(it->second);
    }
  }
  TopK best(k);
  for (tableint id : ids) {
    // Removed, or claimed by an add that has not finished writing it.
    if (state_[id].load(std::memory_order_acquire) != kLive) continue;
    const auto* v = reinterpret_cast<const Half*>(h.getDataByInternalId(id));
    best.push(label_[id], std::min(1.0f, similarity_half(q.data(), v, static_cast<size_t>(dim_))));
  }
  return best.take();
}

// Caller holds mu_ (shared). Reads only slots whose add has completed (state_).
std::vector<ScoredLabel> VectorIndex::exact_scan(const float* query, size_t k, const LabelFilter& filter) const {
  Hnsw& h = *hnsw_;
  size_t count;
  {
    std::lock_guard guard(h.cur_element_count_guard_);
    count = h.cur_element_count;
  }
  TopK best(k);
  for (size_t i = 0; i < count; ++i) {
    if (state_[i].load(std::memory_order_acquire) != kLive) continue;
    const uint64_t label = label_[i];
    if (filter && !filter(label)) continue;
    const auto* v = reinterpret_cast<const Half*>(h.getDataByInternalId(static_cast<tableint>(i)));
    best.push(label, std::min(1.0f, similarity_half(query, v, static_cast<size_t>(dim_))));
  }
  return best.take();
}

Status VectorIndex::save(const std::string& path) const {
  std::unique_lock writers(writers_);
  std::shared_lock lock(mu_);
  const Hnsw& h = *hnsw_;

  // What hnswlib's saveIndex writes, to detect a short write (it does not check its stream).
  uint64_t expected = kHeaderBytes + static_cast<uint64_t>(h.cur_element_count) * h.size_data_per_element_;
  for (size_t i = 0; i < h.cur_element_count; ++i) {
    expected += sizeof(uint32_t);
    if (h.element_levels_[i] > 0) expected += h.size_links_per_element_ * static_cast<size_t>(h.element_levels_[i]);
  }

  static std::atomic<uint64_t> counter{0};
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  auto fail = [&](Error e) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return Status(std::move(e));
  };
  try {
    hnsw_->saveIndex(tmp);
  } catch (const std::exception& e) {
    return fail(Error(Code::Internal, std::string("vector index save: ") + e.what()));
  }
  std::error_code ec;
  const auto written = fs::file_size(tmp, ec);
  if (ec) return fail(Error(Code::Internal, "vector index save " + tmp + ": " + ec.message()));
  if (written != expected) {
    return fail(Error(Code::Internal, "vector index save " + tmp + ": short write (" + std::to_string(written) +
                                          " of " + std::to_string(expected) + " bytes)"));
  }
  if (auto s = sync_path(tmp, false); !s.ok()) return fail(s.error());
  fs::rename(tmp, path, ec);
  if (ec) return fail(Error(Code::Internal, "vector index save: rename to " + path + ": " + ec.message()));
  const auto dir = fs::path(path).parent_path();
  return sync_path(dir.empty() ? std::string(".") : dir.string(), true);
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::load(const std::string& path, int dim) {
  if (dim <= 0) return Error(Code::InvalidInput, "vector index dimension must be positive");
  std::error_code ec;
  if (!fs::exists(path, ec)) return Error(Code::NotFound, "vector index " + path + " does not exist");
  Header header;
  if (auto s = check_file(path, dim, header); !s.ok()) return s.error();

  auto space = std::make_unique<Space>(static_cast<size_t>(dim));
  std::unique_ptr<Hnsw> hnsw;
  try {
    const size_t capacity = std::max<size_t>(header.count + header.count / 8, 1024);
    hnsw = std::make_unique<Hnsw>(space.get(), path, false, capacity);
  } catch (const std::exception& e) {
    return Error(Code::Internal, "vector index " + path + ": " + e.what());
  }
  // The loading constructor leaves these uninitialized (hnswlib 0.6.2).
  hnsw->num_deleted_ = 0;
  for (size_t i = 0; i < hnsw->cur_element_count; ++i) {
    if (hnsw->isMarkedDeleted(static_cast<tableint>(i))) ++hnsw->num_deleted_;
  }
  hnsw->metric_distance_computations = 0;
  hnsw->metric_hops = 0;
  if (hnsw->cur_element_count != header.count) return bad_file(path, "changed while loading");
  if (auto s = check_graph(path, *hnsw); !s.ok()) return s.error();
  return std::unique_ptr<VectorIndex>(new VectorIndex(Loaded{}, dim, std::move(space), std::move(hnsw)));
}

// ---- ExactIndex ------------------------------------------------------------------------------

ExactIndex::ExactIndex(int dim) : dim_(dim > 0 ? dim : 1) {}

Status ExactIndex::add(uint64_t label, const float* vector) {
  if (!all_finite(vector, dim_)) return Error(Code::InvalidInput, "vector has a NaN or infinite component");
  const auto v = normalized_copy(vector, dim_);
  std::unique_lock lock(mu_);
  auto [it, inserted] = slots_.try_emplace(label, labels_.size());
  if (inserted) {
    labels_.push_back(label);
    vectors_.insert(vectors_.end(), v.begin(), v.end());
  } else {
    std::copy(v.begin(), v.end(), vectors_.begin() + static_cast<std::ptrdiff_t>(it->second * dim_));
  }
  return Status::Ok();
}

Status ExactIndex::remove(uint64_t label) {
  std::unique_lock lock(mu_);
  auto it = slots_.find(label);
  if (it == slots_.end()) return Error(Code::NotFound, "label " + std::to_string(label) + " is not in the index");
  // Move the last slot into the hole.
  const size_t slot = it->second, last = labels_.size() - 1;
  slots_.erase(it);
  if (slot != last) {
    std::copy_n(vectors_.begin() + static_cast<std::ptrdiff_t>(last * dim_), dim_,
                vectors_.begin() + static_cast<std::ptrdiff_t>(slot * dim_));
    labels_[slot] = labels_[last];
    slots_[labels_[slot]] = slot;
  }
  labels_.pop_back();
  vectors_.resize(vectors_.size() - static_cast<size_t>(dim_));
  return Status::Ok();
}

std::vector<ScoredLabel> ExactIndex::search(const float* query, size_t k, const LabelFilter& filter) const {
  if (k == 0) return {};
  const auto q = normalized_copy(query, dim_);
  std::shared_lock lock(mu_);
  TopK best(k);
  const float* v = vectors_.data();
  for (size_t i = 0; i < labels_.size(); ++i, v += dim_) {
    if (filter && !filter(labels_[i])) continue;
    best.push(labels_[i], similarity(q.data(), v, static_cast<size_t>(dim_)));
  }
  return best.take();
}

void ExactIndex::reserve(size_t n) {
  std::unique_lock lock(mu_);
  vectors_.reserve(n * static_cast<size_t>(dim_));
  labels_.reserve(n);
  slots_.reserve(n);
}

size_t ExactIndex::size() const {
  std::shared_lock lock(mu_);
  return labels_.size();
}

}  // namespace docent::engines
