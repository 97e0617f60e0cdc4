#include "include/cshims.h"
