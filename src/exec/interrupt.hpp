// SIGINT, SIGTERM and SIGHUP become a flag that every wait loop checks, so that ferry stops its
// children, journals where it stands and exits, instead of dying between two steps.
#pragma once

namespace ferry::exec {

void install_interrupt_handlers();
bool interrupted();
int interrupt_signal();  // the signal that interrupted, 0 if none

}  // namespace ferry::exec
