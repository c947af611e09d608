#ifndef VISDROP_PNG_SHIM_H
#define VISDROP_PNG_SHIM_H
#endif
