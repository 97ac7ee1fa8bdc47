// Package monitortest trains and registers real heart-disease models with
// their reference profiles, for the tests of the drift check, the agent
// and their functions and commands.
package monitortest
