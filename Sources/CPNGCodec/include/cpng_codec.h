#ifndef CPNG_CODEC_H
#define CPNG_CODEC_H
#include <stddef.h>
#include <stdint.h>

/// What a PNG decodes to after cfcam's transformations (see cpng_codec.c): 1 (grey) or 3 (RGB)
/// channels, 8 or 16 bits per sample. `message` holds libpng's error text when a call fails.
typedef struct {
    uint32_t width;
    uint32_t height;
    int channels;
    int depth;
    char message[256];
} cpng_info;

/// Reads the header of the PNG in `data` and fills `info` with the output layout. Allocates no
/// pixel memory. Returns 0 on success, -1 on failure (`info->message` says why).
int cpng_read_info(const uint8_t *data, size_t size, cpng_info *info);

/// Decodes the PNG in `data` into `out` (`out_size` bytes, at least width*height*channels*depth/8):
/// alpha dropped, palettes and low-bit grey expanded to 8 bits, 16-bit samples in host byte
/// order, no gamma conversion. `info` must come from cpng_read_info on the same bytes.
/// Returns 0 on success, -1 on failure (`info->message` says why).
int cpng_decode(const uint8_t *data, size_t size, cpng_info *info, void *out, size_t out_size);

/// Encodes `pixels` (height rows of width*channels samples; uint8 when depth is 8, host-order
/// uint16 when 16) as a PNG with grey (channels 1) or RGB (channels 3) colour type. On success
/// returns 0 and a malloc'ed buffer in *out / *out_size that the caller frees with cpng_free.
int cpng_encode(const void *pixels, uint32_t width, uint32_t height, int channels, int depth,
                uint8_t **out, size_t *out_size, char message[256]);

void cpng_free(void *p);

#endif
