#include "app/cli.h"

int main(int argc, char** argv) { return docent::app::run_cli(argc, argv); }
