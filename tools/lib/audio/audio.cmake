# Audio pipeline (tools/lib/audio): libsndfile for WAV reading, FFTW (single precision) for the
# log-mel features. Included at the end of tools/CMakeLists.txt, after tinyprop_host exists.
# Debian: libsndfile1-dev libfftw3-dev pkg-config (scripts/install-deps.sh, group cli).
find_package(PkgConfig REQUIRED)
pkg_check_modules(SNDFILE REQUIRED IMPORTED_TARGET sndfile)
pkg_check_modules(FFTW3F REQUIRED IMPORTED_TARGET fftw3f)
find_package(Threads REQUIRED)  # the scenario fine-tunes several methods at once (threads option)
if(TARGET tinyprop_host)
  target_link_libraries(tinyprop_host PUBLIC PkgConfig::SNDFILE PkgConfig::FFTW3F Threads::Threads)
endif()
