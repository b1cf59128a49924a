#include "rules/method_set.h"
