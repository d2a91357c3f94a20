// TurboJPEG reports every failure by return value (tjGetErrorStr2), so no longjmp ever crosses a Swift frame.
#include <stddef.h>
#include <turbojpeg.h>
