/* cfcam plugin ABI: the one C entry point a plugin exports, and the handle cfcam passes to it.
 *
 * A plugin is a shared library that exports
 *
 *     int32_t cfcam_plugin_register(cfcam_plugin_handle *handle);
 *
 * cfcam fills `magic`, `host_abi` and `host_version` and calls it once. The plugin first compares
 * `host_abi` and `host_version` with the values it was compiled against (the macros below, as its
 * copy of this header has them): on any difference it writes its own into `plugin_abi` /
 * `plugin_version` and returns CFCAM_PLUGIN_ABI_MISMATCH without touching anything else. Otherwise
 * it registers what it brings through `registrar` (opaque to C; Swift plugins do all of this with
 * `PluginEntry.register(handle, plugin)`) and returns CFCAM_PLUGIN_OK, or CFCAM_PLUGIN_FAILED after
 * leaving a message with the registrar.
 *
 * The first five fields never move, so any two versions of cfcam and a plugin can read each
 * other's versions. Rule: a plugin loads only when its plugin ABI and its cfcam major.minor equal
 * the running cfcam's (patch releases keep the ABI).
 */
#ifndef CFCAM_PLUGIN_H
#define CFCAM_PLUGIN_H
#include <stdint.h>

#define CFCAM_PLUGIN_MAGIC 0x4346434Du /* "CFCM" */
/* Changes whenever a public type or registry a plugin uses changes shape. */
#define CFCAM_PLUGIN_ABI 1
/* cfcam's version; CFCAMVersion (Graph) reads these. */
#define CFCAM_VERSION_MAJOR 0
#define CFCAM_VERSION_MINOR 6
#define CFCAM_VERSION_PATCH 0
#define CFCAM_VERSION_PACKED ((CFCAM_VERSION_MAJOR << 16) | (CFCAM_VERSION_MINOR << 8) | CFCAM_VERSION_PATCH)

/* What cfcam_plugin_register returns. */
#define CFCAM_PLUGIN_OK 0
#define CFCAM_PLUGIN_FAILED 1
#define CFCAM_PLUGIN_ABI_MISMATCH 2

typedef struct cfcam_plugin_handle {
    uint32_t magic;          /* CFCAM_PLUGIN_MAGIC, set by cfcam */
    uint32_t host_abi;       /* set by cfcam */
    uint32_t host_version;   /* packed major.minor.patch, set by cfcam */
    uint32_t plugin_abi;     /* set by the plugin */
    uint32_t plugin_version; /* packed, set by the plugin */
    uint32_t reserved;
    void *registrar;         /* cfcam's registrar (Swift), valid during the call */
} cfcam_plugin_handle;

typedef int32_t (*cfcam_plugin_register_fn)(cfcam_plugin_handle *handle);

#endif
