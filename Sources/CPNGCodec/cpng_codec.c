// PNG reading and writing on libpng's low-level API. libpng reports errors by longjmp'ing to a
// setjmp point; Swift cannot take part in that, so every setjmp and every libpng call that may
// longjmp lives in this file, and callers only see return codes and message strings.
#include "cpng_codec.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

// Error callback: keep libpng's message, then unwind to the setjmp in the calling function.
static void on_error(png_structp png, png_const_charp msg) {
    char *dst = (char *)png_get_error_ptr(png);
    if (dst) {
        strncpy(dst, msg ? msg : "unknown libpng error", 255);
        dst[255] = 0;
    }
    png_longjmp(png, 1);
}

// Warnings (bad ancillary chunks, unknown profiles...) do not stop decoding.
static void on_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos;
} mem_reader;

static void read_mem(png_structp png, png_bytep out, png_size_t n) {
    mem_reader *r = (mem_reader *)png_get_io_ptr(png);
    if (n > r->size - r->pos) png_error(png, "file is truncated (unexpected end of data)");
    memcpy(out, r->data + r->pos, n);
    r->pos += n;
}

static int host_is_little_endian(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

// The transformations cfcam applies, registered before png_read_update_info:
// palette -> RGB, 1/2/4-bit grey -> 8-bit, alpha (and tRNS-made alpha) stripped, 16-bit kept
// and swapped to host order. No png_set_gamma / alpha_mode call, so no gamma conversion happens
// whatever gAMA / sRGB / iCCP chunks say.
static void set_transforms(png_structp png, png_infop info) {
    int color = png_get_color_type(png, info);
    int bits = png_get_bit_depth(png, info);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && bits < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (color & PNG_COLOR_MASK_ALPHA || color == PNG_COLOR_TYPE_PALETTE) png_set_strip_alpha(png);
    if (bits == 16 && host_is_little_endian()) png_set_swap(png);
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);
}

// Shared begin: create structs, install the memory reader, read the header.
#define BEGIN_READ(png, info, reader, data, size, msg)                                        \
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, msg, on_error, on_warning); \
    if (!png) { strcpy(msg, "out of memory"); return -1; }                                    \
    png_infop info = png_create_info_struct(png);                                             \
    if (!info) { png_destroy_read_struct(&png, NULL, NULL); strcpy(msg, "out of memory"); return -1; } \
    mem_reader reader = {data, size, 0};

int cpng_read_info(const uint8_t *data, size_t size, cpng_info *out) {
    memset(out, 0, sizeof *out);
    BEGIN_READ(png, info, reader, data, size, out->message)
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    png_set_read_fn(png, &reader, read_mem);
    png_read_info(png, info);
    set_transforms(png, info);
    out->width = png_get_image_width(png, info);
    out->height = png_get_image_height(png, info);
    out->channels = png_get_channels(png, info);
    out->depth = png_get_bit_depth(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    if (!(out->channels == 1 || out->channels == 3) || !(out->depth == 8 || out->depth == 16)) {
        strcpy(out->message, "unexpected pixel layout after conversion");
        return -1;
    }
    return 0;
}

int cpng_decode(const uint8_t *data, size_t size, cpng_info *out, void *pixels, size_t pixels_size) {
    const uint32_t w = out->width, h = out->height;
    const size_t row = (size_t)w * (size_t)out->channels * (size_t)(out->depth / 8);
    if (h == 0 || row == 0 || pixels_size / row < h) {
        strcpy(out->message, "output buffer too small");
        return -1;
    }
    png_bytep *volatile rows = NULL;
    BEGIN_READ(png, info, reader, data, size, out->message)
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        return -1;
    }
    png_set_read_fn(png, &reader, read_mem);
    png_read_info(png, info);
    set_transforms(png, info);
    if (png_get_image_width(png, info) != w || png_get_image_height(png, info) != h ||
        png_get_rowbytes(png, info) != row) {
        png_error(png, "header changed between reads");
    }
    rows = (png_bytep *)malloc(sizeof(png_bytep) * h);
    if (!rows) png_error(png, "out of memory");
    for (uint32_t y = 0; y < h; y++) rows[y] = (png_bytep)pixels + (size_t)y * row;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    return 0;
}

typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
} mem_writer;

static void write_mem(png_structp png, png_bytep in, png_size_t n) {
    mem_writer *w = (mem_writer *)png_get_io_ptr(png);
    if (n > w->capacity - w->size) {
        size_t cap = w->capacity ? w->capacity : 4096;
        while (n > cap - w->size) {
            if (cap > SIZE_MAX / 2) png_error(png, "output too large");
            cap *= 2;
        }
        uint8_t *grown = (uint8_t *)realloc(w->data, cap);
        if (!grown) png_error(png, "out of memory");
        w->data = grown;
        w->capacity = cap;
    }
    memcpy(w->data + w->size, in, n);
    w->size += n;
}

static void flush_mem(png_structp png) { (void)png; }

int cpng_encode(const void *pixels, uint32_t width, uint32_t height, int channels, int depth,
                uint8_t **out, size_t *out_size, char message[256]) {
    *out = NULL;
    *out_size = 0;
    message[0] = 0;
    if (!(channels == 1 || channels == 3) || !(depth == 8 || depth == 16) || width == 0 || height == 0) {
        strcpy(message, "PNG encoder takes 1 or 3 channels at 8 or 16 bits");
        return -1;
    }
    const size_t row = (size_t)width * (size_t)channels * (size_t)(depth / 8);
    mem_writer writer = {NULL, 0, 0};
    png_bytep *volatile rows = NULL;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, message, on_error, on_warning);
    if (!png) { strcpy(message, "out of memory"); return -1; }
    png_infop info = png_create_info_struct(png);
    if (!info) { png_destroy_write_struct(&png, NULL); strcpy(message, "out of memory"); return -1; }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        free(writer.data);
        return -1;
    }
    png_set_write_fn(png, &writer, write_mem, flush_mem);
    png_set_IHDR(png, info, width, height, depth,
                 channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (depth == 16 && host_is_little_endian()) png_set_swap(png);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    if (!rows) png_error(png, "out of memory");
    for (uint32_t y = 0; y < height; y++) rows[y] = (png_bytep)pixels + (size_t)y * row;
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    *out = writer.data;
    *out_size = writer.size;
    return 0;
}

void cpng_free(void *p) { free(p); }
