#include "rules/rule_store.h"
