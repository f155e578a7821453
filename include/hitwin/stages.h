/* Entry points of the subcommands; each takes the arguments after its name
 * (argv[0] is the subcommand) and returns the process exit status. MPI is
 * initialised by main before any of them runs. */
#ifndef HITWIN_STAGES_H
#define HITWIN_STAGES_H

int hw_tile_main(int argc, char **argv);
int hw_info_main(int argc, char **argv);
int hw_dump_main(int argc, char **argv);

#endif
