#include "rules/path_normalizer.h"
