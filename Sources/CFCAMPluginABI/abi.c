/* The plugin ABI is header-only; this file gives the target a source. */
#include "cfcam_plugin.h"
