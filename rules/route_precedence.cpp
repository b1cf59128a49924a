#include "rules/route_precedence.h"
