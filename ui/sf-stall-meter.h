/* The stall meter behind `siamese-faces --measure-stalls SECONDS`: how long
 * the main loop goes unanswered while a model trains in the background and
 * the views are switched and drawn. A measurement for developers, not a
 * test: build-aux/measure-stalls.sh drives it under xvfb-run and compares
 * the training throughput with the command line's. */
#pragma once

#include "sf-window.h"

G_BEGIN_DECLS

/* Once the window's dataset is loaded: starts training with the Train
 * view's settings, shows every view in turn (the action Alt+1..n
 * activates; the Train view with its curves and its Compare Runs page on
 * alternate turns), each for 400 ms, for `seconds`; meanwhile a high-priority
 * 10 ms timeout notes how late it runs, and each switch how long until the
 * window has drawn. Then stops training, prints the results on standard
 * output and quits the application (held meanwhile). */
void sf_stall_meter_start (SfWindow *window, double seconds);

G_END_DECLS
