// Only libpng's simplified png_image_* API is used: it reports errors in png_image.message instead of longjmp.
#include <png.h>
