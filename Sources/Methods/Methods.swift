// Explanation methods arrive with issue 4.
import Graph
import Rules
