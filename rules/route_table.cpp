#include "rules/route_table.h"
