// TurboJPEG reports every failure by return value (tjGetErrorStr2), so no longjmp ever crosses a Swift frame.
#include <stddef.h>
#include <turbojpeg.h>

// libjpeg-turbo has no run-time version call; the version of the headers this build used is the
// best truthful answer (Debian ties the shared library's package to the same version).
#if __has_include(<jconfig.h>)
#include <jconfig.h>
#endif
#define DVE_STRINGIFY_(x) #x
#define DVE_STRINGIFY(x) DVE_STRINGIFY_(x)
static inline const char *dve_libjpeg_turbo_version(void) {
#ifdef LIBJPEG_TURBO_VERSION
    return DVE_STRINGIFY(LIBJPEG_TURBO_VERSION);
#else
    return "unknown";
#endif
}
