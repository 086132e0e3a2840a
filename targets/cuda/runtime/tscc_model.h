// C API of a model compiled by tscc for CUDA: create (loads the weights onto the device), run (host
// buffers in, host buffers out, in the order of the model's inputs and outputs), destroy.
#pragma once
#ifdef __cplusplus
extern "C" {
#endif

typedef struct tscc_model tscc_model;

/** Loads the weight file written beside the library (weights.bin); NULL on failure. */
tscc_model* tscc_model_create(const char* weights_path);
/** Runs one inference; returns 0 on success, a CUDA error code otherwise. */
int tscc_model_run(tscc_model* model, const void* const* inputs, void* const* outputs);
/** Runs the plan again on the inputs of the last run, already on the device, and waits (for timing). */
int tscc_model_launch(tscc_model* model);
void tscc_model_destroy(tscc_model* model);

int tscc_model_num_inputs(void);
int tscc_model_num_outputs(void);
/** Name, NumPy dtype descriptor ("<f4"), rank and dims of input/output i. */
const char* tscc_model_io_name(int is_output, int i);
const char* tscc_model_io_dtype(int is_output, int i);
int tscc_model_io_rank(int is_output, int i);
const long long* tscc_model_io_shape(int is_output, int i);
long long tscc_model_io_bytes(int is_output, int i);

#ifdef __cplusplus
}
#endif
