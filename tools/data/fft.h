// A real-input FFT of fixed size over FFTW's single-precision API (fftw3f).
#pragma once
#include <stdint.h>

#include <complex>

namespace tinyprop::host::audio {

class RealFft {
 public:
  // n >= 2. Plans with FFTW_ESTIMATE: no timing measurements, so the same build computes the
  // same bits on every run (FFTW_MEASURE may pick a different algorithm each time).
  explicit RealFft(uint32_t n);
  ~RealFft();
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  uint32_t size() const { return n_; }
  uint32_t bins() const { return n_ / 2 + 1; }
  // Write n real samples here, then call execute().
  float* input() { return in_; }
  // X[k] = sum_t x[t] exp(-2 pi i k t / n), k = 0 .. n/2 (unnormalised, as numpy.fft.rfft).
  void execute();
  const std::complex<float>* output() const { return out_; }

 private:
  uint32_t n_;
  float* in_ = nullptr;                 // [n]
  std::complex<float>* out_ = nullptr;  // [n / 2 + 1]
  void* plan_ = nullptr;                // fftwf_plan
};

}  // namespace tinyprop::host::audio
