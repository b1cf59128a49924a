#include "rules/pattern.h"
