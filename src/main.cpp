// ferry: move a running container to another host with seconds of downtime.
#include "cli/app.hpp"

int main(int argc, char** argv) { return ferry::cli::run(argc, argv); }
