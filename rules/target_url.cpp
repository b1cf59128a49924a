#include "rules/target_url.h"
